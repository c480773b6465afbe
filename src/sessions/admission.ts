import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { allowedOrigins } from '../config.js'
import { failureBody } from '../protocol/answers.js'

/**
 * The checks a WebSocket upgrade passes before it happens: the browser origin is on the allowlist (exact
 * match; no Origin header, as from native apps and wscat, passes unless ALLOW_MISSING_ORIGIN=false), and
 * the remote address holds fewer than MAX_CONNECTIONS_PER_IP sockets. Refusals are plain HTTP 403 / 429 in the HTTP failure shape.
 */
export function admitUpgrade (app: FastifyInstance) {
  const { config, sessions } = app
  const origins = allowedOrigins(config)
  return async function onRequest (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const origin = request.headers.origin
    const originAllowed = origin === undefined
      ? config.ALLOW_MISSING_ORIGIN
      : origins === undefined || origins.has(origin)
    if (!originAllowed) {
      request.log.warn({ origin: origin ?? null, remoteAddress: request.ip }, 'upgrade refused: origin not allowed')
      await reply.code(403).send(failureBody('FORBIDDEN', { errors: [{ path: '/headers/origin', message: 'is not an allowed origin' }] }))
      return
    }
    if (sessions.connectionsFrom(request.ip) >= config.MAX_CONNECTIONS_PER_IP) {
      request.log.warn({ remoteAddress: request.ip }, 'upgrade refused: too many connections from this address')
      await reply.code(429).send(failureBody('RATE_LIMITED', { errors: [{ path: '', message: 'too many connections from this address' }] }))
    }
  }
}

/**
 * Runs just before the upgrade. The HTTP response of an upgraded request is never written, but the socket
 * points to it, and through it to the request, the reply, their headers and child logger: kept for the
 * socket's whole life, several kilobytes a connection. Detached, they are freed once the route has run.
 */
export function releaseUpgradeResponse (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const socket = reply.raw.socket
  if (request.ws && socket !== null) reply.raw.detachSocket(socket)
  done()
}
