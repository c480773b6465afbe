import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import websocket from '@fastify/websocket'
import configPlugin from '../plugins/config.js'
import { configWarnings, loadConfig, type ConfigInput } from './config.js'
import dbPlugin from '../plugins/db.js'
import authPlugin from '../plugins/auth.js'
import enginesPlugin from '../plugins/engines.js'
import deliveryPlugin from '../plugins/delivery.js'
import accountStatusPlugin from '../plugins/account-status.js'
import sessionsPlugin from '../plugins/sessions.js'
import messagesPlugin from '../plugins/messages.js'
import presencePlugin from '../plugins/presence.js'
import pushPlugin from '../plugins/push.js'
import uploadsPlugin from '../plugins/uploads.js'
import metricsPlugin from '../plugins/metrics.js'
import httpPlugin from '../plugins/http.js'
import wsRoute from '../routes/ws.js'
import healthRoutes from '../routes/health.js'
import asyncApiRoute from '../routes/asyncapi.js'
import pushRoutes from '../routes/push.js'
import uploadRoutes from '../routes/uploads.js'
import mediaRoutes from '../routes/media.js'
import type { Database } from './db/client.js'
import type { MemoryBus } from './broker/memory-bus.js'
import { loggerOptions } from './logger.js'
import { CloseCodes } from './protocol/close-codes.js'

export interface BuildOptions {
  /** Settings that win over the environment (tests). */
  config?: ConfigInput
  /** An open database owned by the caller; otherwise the app opens (and closes) its own. */
  database?: Database
  logger?: FastifyServerOptions['logger']
  /** Several instances in one process sharing this bus act as several nodes (tests). */
  bus?: MemoryBus
}

/** How long shutdown waits for commands in progress before closing the sockets anyway. */
const SHUTDOWN_DRAIN_MS = 10_000

export async function buildApp (options: BuildOptions = {}): Promise<FastifyInstance> {
  // Loaded once, before Fastify exists: the logger, the proxy setting and the socket limits depend on it.
  const source = { ...process.env, ...options.config }
  const config = loadConfig(source)
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config.LOG_LEVEL),
    // The socket route logs each upgrade itself ("connection opened", with the address and origin);
    // Fastify's request line for it would be one more line per connection on a mass reconnect.
    logController: new LogController({ disableRequestLogging: (request) => request.routeOptions.url === '/ws' }),
    // Clients see the real address behind a load balancer only when it is trusted to say so.
    trustProxy: config.TRUST_PROXY,
    // A first start creates the embedded database (initdb and migrations), which on a busy machine
    // takes longer than Fastify's default 10 s per plugin.
    pluginTimeout: 120_000
  })

  for (const warning of configWarnings(config, source)) app.log.warn(warning.fields, warning.message)

  // Infrastructure first: settings, database, token verification, the WebSocket server.
  await app.register(configPlugin, { config })
  // Before any route: input validation, the error shape and the OpenAPI document apply to them all.
  await app.register(httpPlugin)
  await app.register(dbPlugin, { ...(options.database !== undefined && { database: options.database }) })
  await app.register(authPlugin)
  await app.register(websocket, {
    options: {
      // Limits on what one peer can make the server hold (docs/security.md): a frame over maxPayload
      // closes with 1009; a message split into more than MAX_FRAGMENTS fragments, or a flood of tiny
      // chunks, closes with 1008 (memory held by fragment wrappers, GHSA-96hv-2xvq-fx4p).
      maxPayload: config.MAX_PAYLOAD_BYTES,
      maxFragments: config.MAX_FRAGMENTS,
      maxBufferedChunks: config.MAX_FRAGMENTS * 16,
      perMessageDeflate: false,
      // The session registry knows every socket; the server's own set (and a listener per socket) would
      // be a second copy.
      clientTracking: false
    },
    preClose: async () => { await closeSockets(app) }
  })
  // Then the chat machinery: the session registry, the engines (broker and presence source), the
  // metrics every later plugin counts into, the node's delivery from the broker to the registry, push
  // notifications, attachments, message storage, presence announcements.
  await app.register(sessionsPlugin)
  await app.register(enginesPlugin, { ...(options.bus !== undefined && { bus: options.bus }) })
  await app.register(metricsPlugin)
  await app.register(deliveryPlugin)
  await app.register(pushPlugin)
  await app.register(uploadsPlugin)
  await app.register(messagesPlugin)
  await app.register(presencePlugin)
  await app.register(accountStatusPlugin)
  // Then the routes.
  await app.register(healthRoutes)
  await app.register(asyncApiRoute)
  await app.register(pushRoutes)
  await app.register(uploadRoutes)
  await app.register(mediaRoutes)
  await app.register(wsRoute)
  return app
}

/**
 * Graceful shutdown: refuse new commands, let the ones in progress finish (their messages stored and
 * answered), then close every socket with 1001 so clients reconnect elsewhere with backoff.
 */
async function closeSockets (app: FastifyInstance): Promise<void> {
  const { sessions } = app
  sessions.closing = true
  app.presenceSource.shuttingDown?.()
  const drained = Promise.all([...sessions.connections].map((conn) => conn.drained()))
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_DRAIN_MS).unref())])
  await app.messageStore.drain()
  const sockets = [...sessions.connections].map((conn) => conn.socket)
  for (const conn of sessions.connections) conn.close(CloseCodes.SHUTTING_DOWN, 'Server shutting down')
  // Peers normally answer the close handshake at once; the ones that do not are cut after a short grace.
  const deadline = Date.now() + app.config.CLOSE_GRACE_MS
  while (Date.now() < deadline && sockets.some((socket) => socket.readyState !== socket.CLOSED)) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  for (const socket of sockets) socket.terminate()
  await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()))
}
