import type { FastifyBaseLogger } from 'fastify'
import type { BrokerEvent, RoomFrameEvent } from '../broker/types.js'
import type { SessionRegistry } from '../sessions/registry.js'
import type { Connection } from '../sessions/connection.js'
import { RoomOrder } from './room-order.js'

export interface NodeHooks {
  /** A newer login of the same device took over: tell the connection and close it with 4002. */
  endReplacedSession: (conn: Connection) => void
  /** The account is no longer active: tell each of the user's devices and close it with 4004. */
  endDisabledAccount: (conn: Connection) => void
}

export interface DeliveryNodeOptions {
  sessions: SessionRegistry
  hooks: NodeHooks
  log: FastifyBaseLogger
  /** Reads a room's messages `fromSeq`..`toSeq` back from the database, as the events that carried them. */
  fill: (roomId: string, fromSeq: number, toSeq: number) => Promise<RoomFrameEvent[]>
  gapWaitMs: number
}

/**
 * This node's end of the broker: every event bound for sockets arrives here and goes to the registry's
 * local connections (Centrifugo's hub), each room's messages in `seq` order. Nothing reaches a socket
 * any other way; a command's own answer goes straight back to its socket.
 */
export class DeliveryNode {
  private readonly sessions: SessionRegistry
  private readonly hooks: NodeHooks
  private readonly log: FastifyBaseLogger
  readonly order: RoomOrder

  constructor (options: DeliveryNodeOptions) {
    this.sessions = options.sessions
    this.hooks = options.hooks
    this.log = options.log
    this.order = new RoomOrder({
      deliver: (event) => { this.sessions.deliver(event.userIds, event.frame, event.origin) },
      // The node has this message already; only its sender's acknowledgement is still owed.
      deliverLate: (event) => { if (event.origin?.ack !== undefined) this.sessions.deliverToOrigin(event.userIds, event.origin) },
      fill: options.fill,
      gapWaitMs: options.gapWaitMs,
      log: options.log
    })
  }

  receive (event: BrokerEvent): void {
    switch (event.type) {
      case 'room_frame':
        this.order.receive(event)
        break
      case 'user_frame':
        this.sessions.deliver(event.userIds, event.frame, event.exceptConnection === undefined ? undefined : { connectionId: event.exceptConnection })
        break
      case 'takeover': {
        const holder = this.sessions.device(event.userId, event.uuid)
        if (holder !== undefined && holder.id !== event.connectionId) this.hooks.endReplacedSession(holder)
        break
      }
      case 'account_disabled':
        for (const conn of [...this.sessions.devices(event.userId)]) this.hooks.endDisabledAccount(conn)
        break
      case 'membership':
        // The node's room subscriptions follow these (src/delivery/subscriptions.ts); sockets get nothing.
        break
      default:
        this.log.warn({ eventType: (event as { type?: unknown }).type }, 'unknown broker event')
    }
  }

  close (): void {
    this.order.close()
  }
}
