import type { FastifyBaseLogger } from 'fastify'
import { deliverTo } from './local.js'
import type { Broker, BrokerEvent, BrokerListener, Channel } from './types.js'

/**
 * A bus shared by several nodes in one process: the stand-in for a networked broker in tests. It keeps
 * what a networked engine promises and nothing more: only subscribed channels reach a node, each event
 * is serialized once and parsed by every receiving node, delivery is asynchronous (never inside
 * `publish`), and each node gets the events in publish order.
 */
/**
 * Faults a test injects into the bus, as a network would cause them: publishes that reject, events that
 * are accepted and never reach a node, events that reach a node late (after the ones published later).
 */
export interface BusFaults {
  rejectPublish?: boolean
  lose?: (event: BrokerEvent, nodeId: string) => boolean
  /** Milliseconds an event waits before it reaches the node. */
  delay?: (event: BrokerEvent, nodeId: string) => number
}

export class MemoryBus {
  faults: BusFaults = {}
  /** The devices each node has logged in, by node id (the shared store of src/presence/memory.ts). */
  readonly devices = new Map<string, Map<string, { userId: string, uuid: string, focusRoomId: string | null }>>()
  private readonly subscribers = new Map<Channel, Set<MemoryBusBroker>>()

  /** The nodes subscribed to `channel`. */
  subscribersOf (channel: Channel): ReadonlySet<MemoryBusBroker> {
    return this.subscribers.get(channel) ?? new Set()
  }

  /** A node's broker on this bus. */
  node (options: { nodeId: string, log: FastifyBaseLogger }): MemoryBusBroker {
    return new MemoryBusBroker(this, options)
  }

  subscribe (broker: MemoryBusBroker, channels: Channel[]): void {
    for (const channel of channels) {
      let set = this.subscribers.get(channel)
      if (set === undefined) this.subscribers.set(channel, set = new Set())
      set.add(broker)
    }
  }

  unsubscribe (broker: MemoryBusBroker, channels: Channel[]): void {
    for (const channel of channels) {
      const set = this.subscribers.get(channel)
      set?.delete(broker)
      if (set?.size === 0) this.subscribers.delete(channel)
    }
  }
}

export class MemoryBusBroker implements Broker {
  readonly selective = true
  readonly nodeId: string
  private readonly bus: MemoryBus
  private readonly log: FastifyBaseLogger
  private readonly listeners: BrokerListener[] = []
  /** The channels this node subscribed to (left all at once on close). */
  readonly channels = new Set<Channel>()
  private readonly inbox: Array<{ channel: Channel, text: string }> = []
  private draining = false
  private closed = false

  constructor (bus: MemoryBus, options: { nodeId: string, log: FastifyBaseLogger }) {
    this.bus = bus
    this.nodeId = options.nodeId
    this.log = options.log
  }

  async publish (channel: Channel, event: BrokerEvent): Promise<void> {
    if (this.closed) throw new Error('broker closed')
    const { faults } = this.bus
    if (faults.rejectPublish === true) throw new Error('bus unreachable')
    const text = JSON.stringify(event)
    for (const broker of this.bus.subscribersOf(channel)) {
      if (faults.lose?.(event, broker.nodeId) === true) continue
      const delay = faults.delay?.(event, broker.nodeId) ?? 0
      if (delay > 0) setTimeout(() => { broker.receive(channel, text) }, delay)
      else broker.receive(channel, text)
    }
  }

  async subscribe (channels: Channel[]): Promise<void> {
    if (this.closed) return
    for (const channel of channels) this.channels.add(channel)
    this.bus.subscribe(this, channels)
  }

  async unsubscribe (channels: Channel[]): Promise<void> {
    for (const channel of channels) this.channels.delete(channel)
    this.bus.unsubscribe(this, channels)
  }

  onEvent (listener: BrokerListener): void {
    this.listeners.push(listener)
  }

  healthy (): boolean {
    return !this.closed
  }

  async ping (): Promise<void> {
    if (this.closed) throw new Error('broker closed')
  }

  async close (): Promise<void> {
    this.closed = true
    this.bus.unsubscribe(this, [...this.channels])
    this.channels.clear()
    this.listeners.length = 0
  }

  /** Called by the bus: queued, then handed to the listeners on a later turn, in arrival order. */
  receive (channel: Channel, text: string): void {
    if (this.closed) return
    this.inbox.push({ channel, text })
    if (this.draining) return
    this.draining = true
    setImmediate(() => { this.drain() })
  }

  private drain (): void {
    this.draining = false
    for (const { channel, text } of this.inbox.splice(0)) {
      if (this.closed) return
      deliverTo(this.listeners, JSON.parse(text) as BrokerEvent, channel, this.log)
    }
  }
}
