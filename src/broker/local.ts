import type { FastifyBaseLogger } from 'fastify'
import type { Broker, BrokerEvent, BrokerListener, Channel } from './types.js'

/**
 * One node alone: an event goes straight to this process's listeners, inside `publish`, in publish
 * order. Nothing is serialized and there are no subscriptions to keep: every event is this node's.
 */
export class LocalBroker implements Broker {
  readonly selective = false
  readonly nodeId: string
  private readonly listeners: BrokerListener[] = []
  private readonly log: FastifyBaseLogger

  constructor (options: { nodeId: string, log: FastifyBaseLogger }) {
    this.nodeId = options.nodeId
    this.log = options.log
  }

  async publish (channel: Channel, event: BrokerEvent): Promise<void> {
    deliverTo(this.listeners, event, channel, this.log)
  }

  async subscribe (): Promise<void> {}
  async unsubscribe (): Promise<void> {}

  onEvent (listener: BrokerListener): void {
    this.listeners.push(listener)
  }

  healthy (): boolean {
    return true
  }

  async ping (): Promise<void> {}

  async close (): Promise<void> {
    this.listeners.length = 0
  }
}

/** Hands `event` to each listener; one that throws is logged and the others still get it. */
export function deliverTo (listeners: BrokerListener[], event: BrokerEvent, channel: Channel, log: FastifyBaseLogger): void {
  for (const listener of listeners) {
    try {
      listener(event, channel)
    } catch (error) {
      log.error({ err: error, channel, eventType: event.type }, 'broker listener failed')
    }
  }
}
