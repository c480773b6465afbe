import type { FastifyBaseLogger } from 'fastify'
import { roomChannel, userChannel, type Broker, type BrokerEvent, type Channel } from '../broker/types.js'
import { isCurrentMember, roomIdsOf } from '../chat/member-rooms.js'
import type { Db } from '../db/client.js'

/** A user with a device on this node, and the rooms this node listens to for them. */
interface LocalUser {
  readonly rooms: Set<string>
  /** Resolves once the user's channel and rooms are subscribed (a login answers after it). */
  ready: Promise<void>
  /** Their rooms could not be read (database or broker away): read again at the next refresh. */
  stale: boolean
}

/**
 * Which channels this node listens to on a selective broker (Redis): the user channel of each user with a
 * device here, and the room channel of each room one of them belongs to. The database says which rooms a
 * user arriving here is in; from then on the membership events on their user channel keep it current
 * (published by whichever node made the change, after it committed). A join is taken at its word at once
 * (listening to one room too many costs nothing: each event names its recipients); a leave is checked
 * against the database first, so an old leave overtaken by a rejoin never deafens the node.
 *
 * Nothing else is cached from membership: commands read it in the database, and a room event's recipients
 * are computed in the transaction that stored it, so a removed member gets nothing more on any node,
 * whether or not its node has left the room's channel yet.
 *
 * On a broker that hands every event to every node (one node alone) there is nothing to keep.
 */
export class RoomSubscriptions {
  private readonly users = new Map<string, LocalUser>()
  /** Room → how many users of this node are members: subscribed while above zero. */
  private readonly holders = new Map<string, number>()
  private readonly droppedListeners: Array<(roomId: string) => void> = []
  private readonly addedListeners: Array<(roomIds: string[]) => Promise<void>> = []
  private readonly broker: Broker
  private readonly db: Db
  private readonly log: FastifyBaseLogger

  constructor (options: { broker: Broker, db: Db, log: FastifyBaseLogger }) {
    this.broker = options.broker
    this.db = options.db
    this.log = options.log
  }

  /** Whether this node keeps subscriptions at all. */
  get active (): boolean {
    return this.broker.selective
  }

  /** The rooms this node listens to. */
  rooms (): IterableIterator<string> {
    return this.holders.keys()
  }

  /**
   * Called before this node starts listening to rooms, and waited for: what is read then (a room's last
   * `seq`) is older than anything the subscription brings.
   */
  onRoomsAdded (listener: (roomIds: string[]) => Promise<void>): void {
    this.addedListeners.push(listener)
  }

  /** Called when this node stops listening to a room (its per-room state can go). */
  onRoomDropped (listener: (roomId: string) => void): void {
    this.droppedListeners.push(listener)
  }

  /**
   * A device of `userId` logged in here: resolves once their channel and their rooms' channels are
   * subscribed. It never rejects: a failure is logged and the user's rooms are read again at the next
   * refresh (the position check's timer, or Redis coming back).
   */
  userArrived (userId: string): Promise<void> {
    if (!this.active) return Promise.resolve()
    const known = this.users.get(userId)
    if (known !== undefined) return known.ready
    const user: LocalUser = { rooms: new Set(), ready: Promise.resolve(), stale: false }
    this.users.set(userId, user)
    user.ready = this.subscribe([userChannel(userId)]).then(() => this.load(userId, user))
    return user.ready
  }

  /** The last device of `userId` left this node. */
  userLeft (userId: string): void {
    const user = this.users.get(userId)
    if (user === undefined) return
    this.users.delete(userId)
    void this.unsubscribe([userChannel(userId)])
    for (const roomId of [...user.rooms]) this.drop(user, roomId)
  }

  /** Every broker event passes here: membership events move the room subscriptions. */
  receive (event: BrokerEvent): void {
    if (event.type !== 'membership' || !this.active) return
    const user = this.users.get(event.userId)
    if (user === undefined) return
    if (event.joined) {
      if (this.hold(user, event.roomId)) void this.listen([event.roomId])
      return
    }
    isCurrentMember(this.db, event.roomId, event.userId).then((member) => {
      if (!member && this.users.get(event.userId) === user) this.drop(user, event.roomId)
    }, (error: unknown) => {
      this.log.warn({ err: error, roomId: event.roomId, userId: event.userId }, 'membership check failed; room kept')
    })
  }

  /**
   * Reads the rooms of users again: those whose first reading failed, or all of them after the broker was
   * away (a membership event published meanwhile never arrived).
   */
  async refresh (which: 'stale' | 'all'): Promise<void> {
    const users = [...this.users].filter(([, user]) => which === 'all' || user.stale)
    for (const [userId, user] of users) await this.load(userId, user)
  }

  private async load (userId: string, user: LocalUser): Promise<void> {
    const before = new Set(user.rooms)
    let roomIds: string[]
    try {
      roomIds = await roomIdsOf(this.db, userId)
    } catch (error) {
      user.stale = true
      this.log.warn({ err: error, userId }, 'rooms of a user could not be read; trying again later')
      return
    }
    if (this.users.get(userId) !== user) return
    user.stale = false
    const current = new Set(roomIds)
    const added = roomIds.filter((roomId) => this.hold(user, roomId))
    // Only rooms held before the reading began: a join that arrived during it is newer than the reading.
    for (const roomId of before) if (!current.has(roomId)) this.drop(user, roomId)
    await this.listen(added)
  }

  /** Subscribes to rooms new to this node, once the listeners of new rooms are done. */
  private async listen (roomIds: string[]): Promise<void> {
    if (roomIds.length === 0) return
    for (const listener of this.addedListeners) {
      await listener(roomIds).catch((error: unknown) => { this.log.warn({ err: error, rooms: roomIds.length }, 'preparing new rooms failed') })
    }
    await this.subscribe(roomIds.map(roomChannel))
  }

  /** Counts `user` among the room's holders; true when the node must start listening to it. */
  private hold (user: LocalUser, roomId: string): boolean {
    if (user.rooms.has(roomId)) return false
    user.rooms.add(roomId)
    const count = (this.holders.get(roomId) ?? 0) + 1
    this.holders.set(roomId, count)
    return count === 1
  }

  private drop (user: LocalUser, roomId: string): void {
    if (!user.rooms.delete(roomId)) return
    const count = (this.holders.get(roomId) ?? 1) - 1
    if (count > 0) {
      this.holders.set(roomId, count)
      return
    }
    this.holders.delete(roomId)
    void this.unsubscribe([roomChannel(roomId)])
    for (const listener of this.droppedListeners) listener(roomId)
  }

  /**
   * The engine remembers what it was asked for and subscribes again whenever its server comes back, so a
   * failure here is only logged.
   */
  private async subscribe (channels: Channel[]): Promise<void> {
    await this.broker.subscribe(channels).catch((error: unknown) => {
      this.log.warn({ err: error, channels: channels.length }, 'subscribe failed; the engine retries on reconnect')
    })
  }

  private async unsubscribe (channels: Channel[]): Promise<void> {
    await this.broker.unsubscribe(channels).catch((error: unknown) => {
      this.log.warn({ err: error, channels: channels.length }, 'unsubscribe failed')
    })
  }
}
