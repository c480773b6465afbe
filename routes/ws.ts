import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { commands } from '../src/commands/index.js'
import { createDispatcher } from '../src/commands/dispatch.js'
import { commandOf, readFrame } from '../src/protocol/frames.js'
import { CloseCodes } from '../src/protocol/close-codes.js'
import { Connection } from '../src/sessions/connection.js'
import { FrameBudget } from '../src/sessions/rate-limit.js'
import { admitUpgrade, releaseUpgradeResponse } from '../src/sessions/admission.js'
import { closeLabel } from '../src/metrics/counts.js'
import { Failure, sendFailure } from './http-failures.js'

export default async function wsRoute (app: FastifyInstance) {
  const { config, sessions, metrics } = app
  // Command names of the handler table label the metrics; any other name a client sends is `unknown`.
  const commandLabel = (name: string | undefined) => name === undefined ? 'none' : Object.hasOwn(commands, name) ? name : 'unknown'
  const dispatch = createDispatcher(app, commands)
  // Connection ids are unique across nodes: the node's id and a counter.
  const node = app.broker.nodeId
  let counter = 0

  // Origin and per-address checks run before the upgrade: a refused client gets a plain HTTP answer.
  // A plain GET (a browser tab, curl, a proxy that dropped the upgrade headers) is told what the endpoint wants.
  app.route({ method: 'GET', url: '/ws', schema: UPGRADE_SCHEMA, onRequest: admitUpgrade(app), preHandler: releaseUpgradeResponse, handler: upgradeRequired, wsHandler: (socket, request) => {
    const conn = new Connection(`${node}-${++counter}`, socket, request.ip, config.MAX_BUFFERED_BYTES, new FrameBudget(config.RATE_LIMIT_PER_S, config.RATE_LIMIT_BURST))
    sessions.add(conn)
    // No child logger per socket: at tens of thousands of idle sockets it is memory for nothing.
    const log = app.log
    const connectionId = conn.id
    log.info({ connectionId, remoteAddress: request.ip, origin: request.headers.origin }, 'connection opened')

    conn.authTimer = setTimeout(() => {
      if (conn.session !== undefined) return
      log.info({ connectionId }, 'not logged in in time, closing')
      conn.close(CloseCodes.AUTH_TIMEOUT, 'Login timeout')
    }, config.AUTH_TIMEOUT_MS)
    conn.authTimer.unref()

    socket.on('pong', () => { conn.alive = true })
    let flooding = false
    socket.on('message', (data, isBinary) => {
      conn.alive = true
      if (conn.closed || flooding || !conn.runsCommands) return
      // The budget is spent when the frame arrives, not when its turn comes in the queue.
      const frame = readFrame(data, isBinary)
      const command = commandOf(frame)
      // What a command costs is its definition's business (src/commands/types.ts); this route names none.
      const definition = command !== undefined && Object.hasOwn(commands, command) ? commands[command] : undefined
      const admission = conn.budget.admit(definition?.budget === 'quiet')
      if (admission !== 'run') metrics.rateLimited.inc(admission)
      if (admission === 'drop') return
      if (admission === 'close') {
        // Frames already queued are answered first (the refusals tell the client why), then 4029.
        flooding = true
        log.warn({ connectionId, userId: conn.session?.userId }, 'flooding past the rate limit, closing')
        void conn.enqueue(async () => { conn.close(CloseCodes.FLOODING, 'Rate limit exceeded') })
        return
      }
      void conn.enqueue(async ({ release, earlier }) => {
        if (conn.closed || !conn.runsCommands) return
        const outcome = await dispatch.answerFrame(conn, frame, admission === 'refuse', release)
        metrics.commands.inc(commandLabel(outcome.command), outcome.failure ?? 'success')
        if (outcome.answer !== undefined) {
          await earlier
          conn.send(outcome.answer)
        }
        definition?.afterAnswer?.({ failure: outcome.failure }, { app, conn, log })
      }, definition?.pipelined === true)
    })
    // In place of the plugin's listener, which holds the upgrade's request and reply for the socket's life;
    // like it, an error ends the socket at once.
    socket.removeAllListeners('error')
    socket.on('error', (error) => {
      log.warn({ connectionId, err: error }, 'socket error')
      socket.terminate()
    })
    socket.on('close', (code) => {
      metrics.closes.inc(closeLabel(code))
      conn.closed = true
      conn.clearTimers()
      const session = conn.session
      const held = session !== undefined && sessions.device(session.userId, session.uuid) === conn
      if (sessions.remove(conn)) {
        app.presence.wentOffline(session!.userId)
        app.subscriptions.userLeft(session!.userId)
      }
      if (held) app.presenceSource.deviceDisconnected(session)
      log.info({ connectionId, code, userId: conn.session?.userId, durationMs: Date.now() - conn.openedAt }, 'connection closed')
    })
  } })
}

/** RFC 9110 §15.5.22: 426 names the protocol to switch to in an Upgrade header. */
async function upgradeRequired (_request: FastifyRequest, reply: FastifyReply) {
  return await sendFailure(reply.header('upgrade', 'websocket'), 'INVALID_FORMAT', {
    errors: [{ path: '/headers/upgrade', message: '/ws is a WebSocket endpoint: connect with a WebSocket client (Connection: Upgrade, Upgrade: websocket)' }]
  }, 426)
}

/** The plain GET of /ws in the OpenAPI document; the socket's protocol is the AsyncAPI document. */
const UPGRADE_SCHEMA = {
  summary: 'The WebSocket endpoint (protocol: GET /asyncapi.json); a request without the upgrade is answered 426',
  response: { 426: Failure }
}
