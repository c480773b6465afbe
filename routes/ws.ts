import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { commands } from '../src/commands/index.js'
import { createDispatcher } from '../src/protocol/dispatch.js'
import { CloseCodes } from '../src/protocol/close-codes.js'
import { Connection } from '../src/sessions/connection.js'

/** Failed logins one socket may make before it is closed (password-guessing by token). */
export const MAX_FAILED_LOGINS = 5

export default async function wsRoute (app: FastifyInstance) {
  const { config, sessions } = app
  const dispatch = createDispatcher(app, commands)
  // Connection ids are unique across nodes: a node prefix and a counter.
  const node = randomBytes(4).toString('hex')
  let counter = 0

  app.get('/ws', { websocket: true }, (socket, request) => {
    const conn = new Connection(`${node}-${++counter}`, socket, request.ip, config.MAX_BUFFERED_BYTES)
    sessions.add(conn)
    const log = app.log.child({ connectionId: conn.id })
    log.info({ remoteAddress: request.ip, origin: request.headers.origin }, 'connection opened')

    conn.authTimer = setTimeout(() => {
      if (conn.session !== undefined) return
      log.info('not logged in in time, closing')
      conn.close(CloseCodes.AUTH_TIMEOUT, 'Login timeout')
    }, config.AUTH_TIMEOUT_MS)
    conn.authTimer.unref()

    socket.on('pong', () => { conn.alive = true })
    socket.on('message', (data, isBinary) => {
      conn.alive = true
      void conn.enqueue(async () => {
        if (conn.closed) return
        const outcome = await dispatch(conn, data, isBinary)
        if (outcome.answer !== undefined) conn.send(outcome.answer)
        if (outcome.command === 'user_login' && outcome.failure !== undefined) {
          log.info({ code: outcome.failure }, 'login failed')
          if (++conn.failedLogins >= MAX_FAILED_LOGINS) conn.close(CloseCodes.FLOODING, 'Too many failed logins')
        }
      })
    })
    socket.on('error', (error) => { log.warn({ err: error }, 'socket error') })
    socket.on('close', (code) => {
      conn.closed = true
      conn.clearTimers()
      if (sessions.remove(conn)) app.presence.wentOffline(conn.session!.userId)
      log.info({ code, userId: conn.session?.userId, durationMs: Date.now() - conn.openedAt }, 'connection closed')
    })
  })
}
