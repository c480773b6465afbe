import fp from 'fastify-plugin'
import { SessionRegistry } from '../src/sessions/registry.js'
import { expireSession } from '../src/sessions/lifecycle.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionRegistry
  }
}

export default fp(async (app) => {
  const { config } = app
  const sessions = new SessionRegistry((conn) => { expireSession(app, conn) })
  app.decorate('sessions', sessions)

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
