import fp from 'fastify-plugin'
import { SessionRegistry } from '../src/sessions/registry.js'
import type { Connection } from '../src/sessions/connection.js'
import { CloseCodes } from '../src/protocol/close-codes.js'
import { expireSession } from '../src/sessions/lifecycle.js'
import { buildFrame, Events } from '../src/protocol/events.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionRegistry
    /** Tells a connection that a newer login of the same device took over, and closes it with 4002. */
    endReplacedSession: (conn: Connection) => void
    /** Tells a connection that its account is no longer active, and closes it with 4004. */
    endDisabledAccount: (conn: Connection) => void
  }
}

const SESSION_REPLACED = buildFrame(Events.session_replaced, {})
const ACCOUNT_DISABLED = buildFrame(Events.account_disabled, {})

export default fp(async (app) => {
  const { config } = app
  const sessions = new SessionRegistry((conn) => { expireSession(app, conn) })
  app.decorate('sessions', sessions)

  const endReplacedSession = (conn: Connection) => {
    app.log.info({ userId: conn.session?.userId, uuid: conn.session?.uuid, connectionId: conn.id }, 'session replaced')
    conn.send(SESSION_REPLACED)
    conn.close(CloseCodes.SESSION_REPLACED, 'Session replaced')
  }
  app.decorate('endReplacedSession', endReplacedSession)
  app.decorate('endDisabledAccount', (conn: Connection) => {
    app.log.info({ userId: conn.session?.userId, uuid: conn.session?.uuid, connectionId: conn.id }, 'account disabled, closing')
    conn.send(ACCOUNT_DISABLED)
    conn.close(CloseCodes.ACCOUNT_DISABLED, 'Account disabled')
  })

  // A socket that did not answer the previous ping is gone (half-open TCP, a phone that lost signal).
  const heartbeat = setInterval(() => {
    for (const conn of sessions.connections) {
      if (!conn.alive) {
        app.log.info({ connectionId: conn.id, userId: conn.session?.userId }, 'heartbeat missed, terminating')
        conn.socket.terminate()
        continue
      }
      conn.alive = false
      conn.socket.ping()
    }
  }, config.HEARTBEAT_INTERVAL_MS).unref()

  app.addHook('onClose', async () => {
    clearInterval(heartbeat)
  })
}, { name: 'sessions', dependencies: ['config'] })
