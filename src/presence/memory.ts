import type { MemoryBus } from '../broker/memory-bus.js'
import type { DevicePresence, PresenceSource } from './types.js'

const key = (device: { userId: string, uuid: string }) => `${device.userId}:${device.uuid}`

/**
 * Presence shared by the nodes of one memory bus (several app instances in one process, in tests): each
 * node records its own devices, and every node answers from all of them.
 */
export class MemoryPresence implements PresenceSource {
  private readonly bus: MemoryBus
  private readonly nodeId: string
  private readonly own = new Map<string, { userId: string, uuid: string, focusRoomId: string | null }>()
  /** Users whose first device here logged in, and whether another node held one then. */
  private readonly arrivals = new Map<string, boolean>()

  constructor (options: { bus: MemoryBus, nodeId: string }) {
    this.bus = options.bus
    this.nodeId = options.nodeId
    this.bus.devices.set(this.nodeId, this.own)
  }

  async online (userIds: string[]): Promise<Set<string>> {
    const wanted = new Set(userIds)
    const online = new Set<string>()
    for (const devices of this.bus.devices.values()) {
      for (const device of devices.values()) if (wanted.has(device.userId)) online.add(device.userId)
    }
    return online
  }

  async devices (userId: string): Promise<DevicePresence[]> {
    const found: DevicePresence[] = []
    for (const [nodeId, devices] of this.bus.devices) {
      for (const device of devices.values()) if (device.userId === userId) found.push({ ...device, nodeId })
    }
    return found
  }

  deviceConnected (device: { userId: string, uuid: string }): void {
    const first = ![...this.own.values()].some((known) => known.userId === device.userId)
    this.own.set(key(device), { userId: device.userId, uuid: device.uuid, focusRoomId: null })
    if (first) this.arrivals.set(device.userId, this.heldElsewhere(device.userId))
  }

  async onlineElsewhere (userId: string): Promise<boolean> {
    const answer = this.arrivals.get(userId) ?? false
    this.arrivals.delete(userId)
    return answer
  }

  private heldElsewhere (userId: string): boolean {
    for (const [nodeId, devices] of this.bus.devices) {
      if (nodeId === this.nodeId) continue
      for (const device of devices.values()) if (device.userId === userId) return true
    }
    return false
  }

  deviceDisconnected (device: { userId: string, uuid: string }): void {
    this.own.delete(key(device))
  }

  focus (device: { userId: string, uuid: string }, roomId: string | null): void {
    const known = this.own.get(key(device))
    if (known !== undefined) known.focusRoomId = roomId
  }

  healthy (): boolean {
    return true
  }

  async close (): Promise<void> {
    this.bus.devices.delete(this.nodeId)
  }
}
