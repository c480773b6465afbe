/** What one node tells every node (itself included) through the broker. */
export type BrokerEvent = DeliverEvent | TakeoverEvent

/** A frame, serialized once, for every connected device of `userIds`. */
export interface DeliverEvent {
  type: 'deliver'
  userIds: string[]
  frame: string
  /** The connection that already got its own copy (the sender's acknowledgement). */
  exceptConnection?: string
  roomId?: string
  seq?: number
}

/** A device logged in again: any other node holding (userId, uuid) on another connection closes it. */
export interface TakeoverEvent {
  type: 'takeover'
  userId: string
  uuid: string
  connectionId: string
}

export interface Broker {
  readonly kind: string
  publish: (event: BrokerEvent) => Promise<void>
  subscribe: (listener: (event: BrokerEvent) => void) => void
  ping: () => Promise<void>
  close: () => Promise<void>
}

/** Single-node fan-out: events go straight to this process's listeners, in publish order. */
export class LocalBroker implements Broker {
  readonly kind = 'local'
  private readonly listeners: Array<(event: BrokerEvent) => void> = []

  async publish (event: BrokerEvent): Promise<void> {
    for (const listener of this.listeners) listener(event)
  }

  subscribe (listener: (event: BrokerEvent) => void): void {
    this.listeners.push(listener)
  }

  async ping (): Promise<void> {}

  async close (): Promise<void> {
    this.listeners.length = 0
  }
}
