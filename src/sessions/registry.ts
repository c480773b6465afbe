import type { Connection } from './connection.js'
import { ExpiryTimers } from './expiry.js'

/**
 * Sockets of this node by user and device. One live session per (user, device uuid): registering a
 * device again hands back the connection it replaces.
 */
export class SessionRegistry {
  private readonly byUser = new Map<string, Map<string, Connection>>()
  readonly connections = new Set<Connection>()
  private readonly byAddress = new Map<string, number>()
  messagesIn = 0
  /** Set when shutdown begins: new commands are refused so that in-flight work can finish. */
  closing = false
  framesOut = 0
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
    let devices = this.byUser.get(userId)
    if (devices === undefined) {
      devices = new Map()
      this.byUser.set(userId, devices)
    }
    const previous = devices.get(uuid)
    devices.set(uuid, conn)
    return previous === conn ? undefined : previous
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
    if (devices === undefined || devices.get(session.uuid) !== conn) return false
    devices.delete(session.uuid)
    if (devices.size > 0) return false
    this.byUser.delete(session.userId)
    return true
  }

  /** The connection currently holding (userId, uuid) on this node. */
  device (userId: string, uuid: string): Connection | undefined {
    return this.byUser.get(userId)?.get(uuid)
  }

  devices (userId: string): Iterable<Connection> {
    return this.byUser.get(userId)?.values() ?? []
  }

  isOnline (userId: string): boolean {
    return this.byUser.has(userId)
  }

  /** Sends one serialized frame to every device of the given users on this node, except `exceptConnection`. */
  deliver (userIds: Iterable<string>, frame: string, exceptConnection?: string): number {
    let sent = 0
    for (const userId of userIds) {
      const devices = this.byUser.get(userId)
      if (devices === undefined) continue
      for (const conn of devices.values()) {
        if (conn.id === exceptConnection) continue
        conn.send(frame)
        sent++
      }
    }
    this.framesOut += sent
    return sent
  }

  get userCount (): number {
    return this.byUser.size
  }

  get sessionCount (): number {
    let count = 0
    for (const devices of this.byUser.values()) count += devices.size
    return count
  }
}
