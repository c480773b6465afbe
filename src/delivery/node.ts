import type { FastifyBaseLogger } from 'fastify'
import type { BrokerEvent, RoomFrameEvent } from '../broker/types.js'
import type { SessionRegistry } from '../sessions/registry.js'
import type { Connection } from '../sessions/connection.js'

export interface NodeHooks {
  /** A newer login of the same device took over: tell the connection and close it with 4002. */
  endReplacedSession: (conn: Connection) => void
  /** The account is no longer active: tell each of the user's devices and close it with 4004. */
  endDisabledAccount: (conn: Connection) => void
}

/**
 * This node's end of the broker: every event bound for sockets arrives here and goes to the registry's
 * local connections (Centrifugo's hub). Nothing reaches a socket any other way.
 */
export class DeliveryNode {
  private readonly sessions: SessionRegistry
  private readonly hooks: NodeHooks
  private readonly log: FastifyBaseLogger

  constructor (options: { sessions: SessionRegistry, hooks: NodeHooks, log: FastifyBaseLogger }) {
    this.sessions = options.sessions
    this.hooks = options.hooks
    this.log = options.log
  }

  receive (event: BrokerEvent): void {
    switch (event.type) {
      case 'room_frame':
        this.deliverRoomFrame(event)
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
        break
      default:
        this.log.warn({ eventType: (event as { type?: unknown }).type }, 'unknown broker event')
    }
  }

  private deliverRoomFrame (event: RoomFrameEvent): void {
    this.sessions.deliver(event.userIds, event.frame, event.origin)
  }
}
