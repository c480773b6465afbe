import type { SessionRegistry } from '../sessions/registry.js'
import type { DevicePresence, PresenceSource } from './types.js'

/**
 * One node: online means a session in this node's registry, and the registry's connections carry what
 * their clients said (the room in focus). Nothing to record elsewhere, nothing to expire.
 */
export class LocalPresence implements PresenceSource {
  private readonly sessions: SessionRegistry
  private readonly nodeId: string

  constructor (options: { sessions: SessionRegistry, nodeId: string }) {
    this.sessions = options.sessions
    this.nodeId = options.nodeId
  }

  async online (userIds: string[]): Promise<Set<string>> {
    return new Set(userIds.filter((userId) => this.sessions.isOnline(userId)))
  }

  async devices (userId: string): Promise<DevicePresence[]> {
    return [...this.sessions.devices(userId)].map((conn) => ({
      userId,
      uuid: conn.session!.uuid,
      nodeId: this.nodeId,
      focusRoomId: conn.focusRoomId
    }))
  }

  deviceConnected (): void {}
  deviceDisconnected (): void {}

  focus (device: { userId: string, uuid: string }, roomId: string | null): void {
    const conn = this.sessions.device(device.userId, device.uuid)
    if (conn !== undefined) conn.focusRoomId = roomId
  }

  healthy (): boolean {
    return true
  }

  async close (): Promise<void> {}
}
