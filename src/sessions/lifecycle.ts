import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { CloseCodes } from '../protocol/close-codes.js'
import { fail } from '../protocol/errors.js'
import { userChannel } from '../broker/types.js'
import type { Connection, SessionInfo } from './connection.js'
import { buildFrame, Events } from '../protocol/events.js'

const SESSION_EXPIRED = buildFrame(Events.session_expired, {})
const SESSION_REPLACED = buildFrame(Events.session_replaced, {})
const ACCOUNT_DISABLED = buildFrame(Events.account_disabled, {})

/** Tells a connection that a newer login of the same device took over, and closes it with 4002. */
export function endReplacedSession (log: FastifyBaseLogger, conn: Connection): void {
  log.info({ userId: conn.session?.userId, uuid: conn.session?.uuid, connectionId: conn.id }, 'session replaced')
  conn.send(SESSION_REPLACED)
  conn.close(CloseCodes.SESSION_REPLACED, 'Session replaced')
}

/** Tells a connection that its account is no longer active, and closes it with 4004. */
export function endDisabledAccount (log: FastifyBaseLogger, conn: Connection): void {
  log.info({ userId: conn.session?.userId, uuid: conn.session?.uuid, connectionId: conn.id }, 'account disabled, closing')
  conn.send(ACCOUNT_DISABLED)
  conn.close(CloseCodes.ACCOUNT_DISABLED, 'Account disabled')
}

/**
 * Makes `conn` the session of (userId, uuid), taking over any older connection of that device. A new
 * device past MAX_DEVICES_PER_USER (on this node) is refused with "Not allowed": the devices already
 * logged in keep working, and a stolen token cannot push them out.
 */
export async function startSession (app: FastifyInstance, conn: Connection, info: SessionInfo): Promise<void> {
  // The socket closed while the login waited for the database: its close handling has run already, so
  // anything registered now would stay forever (online, and counted against MAX_DEVICES_PER_USER).
  if (conn.closed) {
    app.log.info({ userId: info.userId, uuid: info.uuid, connectionId: conn.id }, 'login abandoned: connection closed')
    return
  }
  const previous = conn.session
  if (previous?.uuid !== info.uuid && app.sessions.device(info.userId, info.uuid) === undefined) {
    let others = 0
    for (const device of app.sessions.devices(info.userId)) if (device !== conn) others++
    if (others >= app.config.MAX_DEVICES_PER_USER) {
      app.log.warn({ userId: info.userId, uuid: info.uuid, connectionId: conn.id }, 'login refused: too many devices')
      fail('FORBIDDEN')
    }
  }
  const wasOnline = app.sessions.isOnline(info.userId)
  if (previous !== undefined && previous.uuid !== info.uuid) {
    const held = app.sessions.device(previous.userId, previous.uuid) === conn
    const last = app.sessions.remove(conn, { keepConnection: true })
    if (held) app.presenceSource.deviceDisconnected(previous)
    if (last && previous.userId !== info.userId) app.subscriptions.userLeft(previous.userId)
  }
  conn.session = info
  clearTimeout(conn.authTimer)
  conn.authTimer = undefined
  scheduleExpiry(app, conn)
  if (previous !== undefined && previous.uuid === info.uuid) {
    app.log.info({ userId: info.userId, uuid: info.uuid, connectionId: conn.id }, 'token refreshed')
    return
  }
  const replaced = app.sessions.register(conn, info.userId, info.uuid)
  if (replaced !== undefined) endReplacedSession(app.log, replaced)
  app.presenceSource.deviceConnected({ userId: info.userId, uuid: info.uuid })
  // The node listens to the user's channel and rooms before the login is answered: what the client sends
  // or is sent from then on, on any node, reaches it.
  await app.subscriptions.userArrived(info.userId)
  app.log.info({ userId: info.userId, uuid: info.uuid, connectionId: conn.id }, 'login succeeded')
  if (!wasOnline) app.presence.cameOnline(info.userId)
  // Other nodes close their connection of this device, if they hold one.
  await app.publisher.publish(userChannel(info.userId), { type: 'takeover', userId: info.userId, uuid: info.uuid, connectionId: conn.id })
}

/** Closes the connection with 4003 when its token expires, unless a refresh moves the expiry first. */
export function scheduleExpiry (app: FastifyInstance, conn: Connection): void {
  const session = conn.session
  if (session === undefined) app.sessions.expiries.clear(conn)
  else app.sessions.expiries.set(conn, expiryDeadline(app, session))
}

/** Called by the registry's expiry timers once `conn`'s deadline has passed. */
export function expireSession (app: FastifyInstance, conn: Connection): void {
  const session = conn.session
  if (session === undefined || conn.closed) return
  if (Date.now() < expiryDeadline(app, session)) {
    scheduleExpiry(app, conn)
    return
  }
  app.log.info({ userId: session.userId, uuid: session.uuid, connectionId: conn.id }, 'session expired')
  conn.send(SESSION_EXPIRED)
  conn.close(CloseCodes.SESSION_EXPIRED, 'Session expired')
}

const expiryDeadline = (app: FastifyInstance, session: SessionInfo) => session.expiresAt + app.config.JWT_CLOCK_TOLERANCE_S * 1000
