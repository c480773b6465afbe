import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import { deliverTo } from './local.js'
import type { Broker, BrokerEvent, BrokerListener, Channel } from './types.js'

export interface RedisBrokerOptions {
  nodeId: string
  /** Channels are `${prefix}${channel}` in Redis. */
  prefix: string
  log: FastifyBaseLogger
}

/**
 * Subscriptions sent at once: one channel per command (on a Redis Cluster one SSUBSCRIBE may only name
 * channels of one slot), written back to back, so a reconnect re-subscribes thousands of rooms in a
 * few round trips.
 */
const SUBSCRIBE_CHUNK = 500

/**
 * Fan-out between nodes over Redis sharded pub/sub (SPUBLISH / SSUBSCRIBE, Redis 7): a channel lives on
 * the shard of its hash slot, so on a Redis Cluster a message goes to the one shard of its channel,
 * not to every node of the cluster as plain PUBLISH does.
 *
 * An event is serialized once, published once to its channel, and parsed once by each subscribed node,
 * this one included (its own events come back through Redis, so each channel's events reach every
 * node in one order). Redis holds nothing: what is lost while it is away (publish rejects at once, the
 * publisher delivers to this node's sockets itself) is found again by the per-room position check and
 * by clients' `sync`. Subscriptions are this node's own list, sent again whenever the connection comes
 * back; `onResume` then tells the node to look for what it missed.
 */
export class RedisBroker implements Broker {
  readonly selective = true
  readonly nodeId: string
  private readonly listeners: BrokerListener[] = []
  private readonly resumeListeners: Array<() => void> = []
  /** Channels this node wants, whatever Redis currently knows: re-subscribed on every reconnect. */
  private readonly wanted = new Set<Channel>()
  private everReady = false

  constructor (private readonly publisher: Redis, private readonly subscriber: Redis, private readonly options: RedisBrokerOptions) {
    this.nodeId = options.nodeId
    subscriber.on('smessage', (channel: string, message: string) => { this.received(channel, message) })
    subscriber.on('ready', () => { void this.resubscribe() })
  }

  async publish (channel: Channel, event: BrokerEvent): Promise<void> {
    await this.publisher.spublish(this.options.prefix + channel, JSON.stringify(event))
  }

  async subscribe (channels: Channel[]): Promise<void> {
    const added = channels.filter((channel) => !this.wanted.has(channel))
    for (const channel of added) this.wanted.add(channel)
    if (this.subscriber.status !== 'ready') return
    await this.send('ssubscribe', added)
  }

  async unsubscribe (channels: Channel[]): Promise<void> {
    const removed = channels.filter((channel) => this.wanted.delete(channel))
    if (this.subscriber.status !== 'ready') return
    await this.send('sunsubscribe', removed)
  }

  /** Channels this node is subscribed to (or will be once Redis is back). */
  get channels (): ReadonlySet<Channel> {
    return this.wanted
  }

  onEvent (listener: BrokerListener): void {
    this.listeners.push(listener)
  }

  /** Called when the subscription came back after Redis was away: whatever was published meanwhile is lost. */
  onResume (listener: () => void): void {
    this.resumeListeners.push(listener)
  }

  /** Both connections are up: events reach the other nodes and theirs reach this one. */
  healthy (): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready'
  }

  connectionStates (): Record<string, boolean> {
    return { commands: this.publisher.status === 'ready', subscriber: this.subscriber.status === 'ready' }
  }

  async ping (): Promise<void> {
    if (!this.healthy()) throw new Error('redis unreachable')
    await this.publisher.ping()
  }

  /** Leaves every channel. The publishing connection is shared with presence, which closes it after its goodbye. */
  async close (): Promise<void> {
    this.listeners.length = 0
    this.resumeListeners.length = 0
    this.subscriber.disconnect()
  }

  private received (prefixed: string, message: string): void {
    const channel = prefixed.slice(this.options.prefix.length) as Channel
    let event: BrokerEvent
    try {
      event = JSON.parse(message) as BrokerEvent
    } catch (error) {
      this.options.log.warn({ err: error, channel }, 'unreadable broker message dropped')
      return
    }
    deliverTo(this.listeners, event, channel, this.options.log)
  }

  private async send (command: 'ssubscribe' | 'sunsubscribe', channels: Channel[]): Promise<void> {
    for (let start = 0; start < channels.length; start += SUBSCRIBE_CHUNK) {
      const chunk = channels.slice(start, start + SUBSCRIBE_CHUNK)
      await Promise.all(chunk.map((channel) => this.subscriber[command](this.options.prefix + channel)))
    }
  }

  private async resubscribe (): Promise<void> {
    const resumed = this.everReady
    this.everReady = true
    try {
      await this.send('ssubscribe', [...this.wanted])
    } catch (error) {
      this.options.log.warn({ err: error }, 'resubscribing failed')
      return
    }
    if (!resumed) return
    this.options.log.info({ channels: this.wanted.size }, 'broker subscriptions restored')
    for (const listener of this.resumeListeners) {
      try { listener() } catch (error) { this.options.log.error({ err: error }, 'resume listener failed') }
    }
  }
}
