import type { Connection } from './connection.js'
import { ExpiryTimers } from './expiry.js'

/**
 * A user's devices on this node: the connection itself while there is one (most users; a map for each
 * would cost about 280 bytes), a map by device uuid when there are more.
 */
type Devices = Connection | Map<string, Connection>

const uuidOf = (conn: Connection) => conn.session!.uuid

/**
 * Sends `frame` to `conn`, or to the connection `origin` names its own `ack` (nothing without one), in
 * the answer slot the command took: `SENT`, `DROPPED` (the socket is closing or too slow to read) or `NONE`.
 */
function sendTo (conn: Connection, frame: string, origin: DeliveryOrigin | undefined): number {
  if (origin !== undefined && conn.id === origin.connectionId) {
    if (origin.ack === undefined) return NONE
    if (origin.slot === undefined) return conn.send(origin.ack) ? SENT : DROPPED
    conn.answers.fill(origin.slot, origin.ack)
    return SENT
  }
  return conn.send(frame) ? SENT : DROPPED
}
const NONE = 0
const SENT = 1
const DROPPED = -1

/** The connection whose command caused a frame: it gets `ack` in its place, or nothing. */
export interface DeliveryOrigin {
  connectionId: string
  ack?: string | undefined
  /** The connection's answer slot for `ack` (Connection.answers). */
  slot?: number | undefined
}

/**
 * Sockets of this node by user and device. One live session per (user, device uuid): registering a
 * device again hands back the connection it replaces.
 */
export class SessionRegistry {
  private readonly byUser = new Map<string, Devices>()
  readonly connections = new Set<Connection>()
  private readonly byAddress = new Map<string, number>()
  messagesIn = 0
  /** Set when shutdown begins: new commands are refused so that in-flight work can finish. */
  closing = false
  /** Frames delivered to sockets, and frames dropped because the socket was closing or too slow (metrics). */
  framesOut = 0
  framesDropped = 0
  /** Session expiry of every connection; a connection leaving the node leaves them too. */
  readonly expiries: ExpiryTimers<Connection>

  /** `onExpired` is called when a connection's session expiry has passed. */
  constructor (onExpired: (conn: Connection) => void = () => {}) {
    this.expiries = new ExpiryTimers(onExpired)
  }

  add (conn: Connection): void {
    this.connections.add(conn)
    this.byAddress.set(conn.remoteAddress, this.connectionsFrom(conn.remoteAddress) + 1)
  }

  /** Open sockets from one remote address on this node. */
  connectionsFrom (address: string): number {
    return this.byAddress.get(address) ?? 0
  }

  private forget (conn: Connection): void {
    this.expiries.clear(conn)
    if (!this.connections.delete(conn)) return
    const left = this.connectionsFrom(conn.remoteAddress) - 1
    if (left > 0) this.byAddress.set(conn.remoteAddress, left)
    else this.byAddress.delete(conn.remoteAddress)
  }

  /** Registers `conn` as the session of (userId, uuid); returns the connection it replaces, if any. */
  register (conn: Connection, userId: string, uuid: string): Connection | undefined {
    const devices = this.byUser.get(userId)
    if (devices === undefined) {
      this.byUser.set(userId, conn)
      return undefined
    }
    if (devices instanceof Map) {
      const previous = devices.get(uuid)
      devices.set(uuid, conn)
      return previous === conn ? undefined : previous
    }
    if (uuidOf(devices) === uuid) {
      this.byUser.set(userId, conn)
      return devices === conn ? undefined : devices
    }
    this.byUser.set(userId, new Map([[uuidOf(devices), devices], [uuid, conn]]))
    return undefined
  }

  /**
   * Forgets `conn`'s session (and the connection itself unless `keepConnection`); true when it was the
   * user's last device on this node.
   */
  remove (conn: Connection, options: { keepConnection?: boolean } = {}): boolean {
    if (options.keepConnection !== true) this.forget(conn)
    const session = conn.session
    if (session === undefined) return false
    const devices = this.byUser.get(session.userId)
    if (devices === conn) {
      this.byUser.delete(session.userId)
      return true
    }
    if (!(devices instanceof Map) || devices.get(session.uuid) !== conn) return false
    devices.delete(session.uuid)
    if (devices.size > 1) return false
    const last = devices.values().next().value
    if (last === undefined) {
      this.byUser.delete(session.userId)
      return true
    }
    this.byUser.set(session.userId, last)
    return false
  }

  /** The connection currently holding (userId, uuid) on this node. */
  device (userId: string, uuid: string): Connection | undefined {
    const devices = this.byUser.get(userId)
    if (devices instanceof Map) return devices.get(uuid)
    return devices !== undefined && uuidOf(devices) === uuid ? devices : undefined
  }

  devices (userId: string): Iterable<Connection> {
    const devices = this.byUser.get(userId)
    if (devices === undefined) return []
    return devices instanceof Map ? devices.values() : [devices]
  }

  /** The users with at least one logged-in device on this node. */
  userIds (): IterableIterator<string> {
    return this.byUser.keys()
  }

  isOnline (userId: string): boolean {
    return this.byUser.has(userId)
  }

  /** Sends one serialized frame to every device of the given users on this node (see `sendTo` for `origin`); how many went. */
  deliver (userIds: Iterable<string>, frame: string, origin?: DeliveryOrigin): number {
    const before = this.framesOut
    for (const userId of userIds) {
      const devices = this.byUser.get(userId)
      if (devices === undefined) continue
      if (devices instanceof Map) {
        for (const conn of devices.values()) this.count(sendTo(conn, frame, origin))
      } else {
        this.count(sendTo(devices, frame, origin))
      }
    }
    return this.framesOut - before
  }

  private count (outcome: number): void {
    if (outcome === SENT) this.framesOut++
    else if (outcome === DROPPED) this.framesDropped++
  }

  /** Sends `origin.ack` to the connection `origin` names, if it belongs to one of `userIds` here. */
  deliverToOrigin (userIds: Iterable<string>, origin: DeliveryOrigin): void {
    if (origin.ack === undefined) return
    for (const userId of userIds) {
      for (const conn of this.devices(userId)) {
        if (conn.id !== origin.connectionId) continue
        this.count(sendTo(conn, '', origin))
        return
      }
    }
  }

  get userCount (): number {
    return this.byUser.size
  }

  get sessionCount (): number {
    let count = 0
    for (const devices of this.byUser.values()) count += devices instanceof Map ? devices.size : 1
    return count
  }
}
