import type { FastifyBaseLogger } from 'fastify'
import { roomChannel, userChannel, type Broker, type BrokerEvent, type Channel, type RoomFrameEvent } from './types.js'

/**
 * Where the node publishes: the broker's contract made safe to call after a commit. `publish` never
 * rejects. A failure is logged and counted where it happens, and the event is still handed to this
 * node's own sockets (`deliverHere`): local delivery goes on, the change stays answered as a success,
 * and the other nodes' clients catch up with `sync`.
 */
export class Publisher {
  /** Events handed to the broker since start (metrics). */
  published = 0
  /** Events the broker refused since start (readiness and statistics). */
  failures = 0
  private readonly broker: Broker
  private readonly log: FastifyBaseLogger
  /** Set by the node's delivery: what reaches this node's sockets when the broker could not carry it. */
  deliverHere: (event: BrokerEvent, channel: Channel) => void = () => {}

  constructor (broker: Broker, log: FastifyBaseLogger) {
    this.broker = broker
    this.log = log
  }

  /** Resolves true once published, false when the broker failed (already handled). */
  async publish (channel: Channel, event: BrokerEvent): Promise<boolean> {
    this.published++
    try {
      await this.broker.publish(channel, event)
      return true
    } catch (error) {
      this.failures++
      this.log.error({ err: error, channel, eventType: event.type, failures: this.failures }, 'publish failed')
      try {
        this.deliverHere(event, channel)
      } catch (deliveryError) {
        this.log.error({ err: deliveryError, channel, eventType: event.type }, 'local delivery failed')
      }
      return false
    }
  }

  /** A room's frame for the devices of `userIds` (members computed with the change). */
  toRoom (roomId: string, userIds: string[], frame: string, extra: Pick<RoomFrameEvent, 'seq' | 'origin' | 'receivedAt'> = {}): Promise<boolean> {
    return this.publish(roomChannel(roomId), {
      type: 'room_frame',
      roomId,
      ...(extra.seq !== undefined && { seq: extra.seq }),
      userIds: [...new Set(userIds)],
      frame,
      ...(extra.origin !== undefined && { origin: extra.origin }),
      ...(extra.receivedAt !== undefined && { receivedAt: extra.receivedAt })
    })
  }

  /**
   * A frame for every device of each of `userIds`: one event on each user's channel. A broker that hands
   * every event to every node gets one event for them all (a mass reconnect's presence frames).
   */
  async toUsers (userIds: string[], frame: string, exceptConnection?: string): Promise<void> {
    const unique = [...new Set(userIds)]
    if (unique.length === 0) return
    const event = (ids: string[]): BrokerEvent => ({
      type: 'user_frame',
      userIds: ids,
      frame,
      ...(exceptConnection !== undefined && { exceptConnection })
    })
    if (!this.broker.selective) {
      await this.publish(userChannel(unique[0]!), event(unique))
      return
    }
    await Promise.all(unique.map((userId) => this.publish(userChannel(userId), event([userId]))))
  }

  /** Tells the nodes holding `userId` that they joined or left `roomId` (room subscriptions). */
  async membership (roomId: string, userIds: string[], joined: boolean): Promise<void> {
    await Promise.all(userIds.map((userId) => this.publish(userChannel(userId), { type: 'membership', roomId, userId, joined })))
  }
}
