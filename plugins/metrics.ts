import fp from 'fastify-plugin'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { disabledMetrics, type ChatMetrics } from '../src/metrics/counts.js'
import { createExporter } from '../src/metrics/prometheus.js'
import metricsRoute from '../routes/metrics.js'
import type { Config } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The node's tallies: what /metrics and the statistics line read. */
    metrics: ChatMetrics
    /** The Prometheus registry; undefined with METRICS=off. */
    metricsRegistry: Registry | undefined
    /** The loopback listener that serves /metrics when the public port must not; undefined otherwise. */
    metricsListener: FastifyInstance | undefined
  }
}

/** Where production serves /metrics without METRICS_TOKEN (the OpenTelemetry exporter's usual port). */
export const DEFAULT_METRICS_PORT = 9464

/**
 * The port of the listener that serves /metrics apart from the public port, or undefined when the
 * public port serves it: METRICS_PORT when set; in production without METRICS_TOKEN, the default.
 */
export function metricsPort (config: Pick<Config, 'NODE_ENV' | 'METRICS_PORT' | 'METRICS_TOKEN'>): number | undefined {
  if (config.METRICS_PORT !== undefined) return config.METRICS_PORT
  return config.NODE_ENV === 'production' && config.METRICS_TOKEN === undefined ? DEFAULT_METRICS_PORT : undefined
}

/**
 * Metrics: the tallies every module counts into, the Prometheus registry over them, and where /metrics
 * is served. On the public port unless production runs without METRICS_TOKEN (then only on
 * METRICS_HOST:METRICS_PORT, loopback by default) or METRICS_PORT is set. Also the statistics log line,
 * from the same counters.
 */
export default fp(async (app) => {
  const { config, sessions } = app
  const exporter = config.METRICS === 'on'
    ? createExporter({ sessions, publisher: app.publisher, broker: app.broker, database: app.database })
    : undefined
  const metrics = exporter?.metrics ?? disabledMetrics()
  app.decorate('metrics', metrics)
  app.decorate('metricsRegistry', exporter?.registry)

  const ownPort = metricsPort(config)
  let listener: FastifyInstance | undefined
  if (exporter !== undefined) {
    const route = { registry: exporter.registry, token: config.METRICS_TOKEN }
    if (ownPort === undefined) {
      await app.register(metricsRoute, route)
    } else {
      listener = Fastify({ loggerInstance: app.log })
      await listener.register(metricsRoute, route)
      app.addHook('onReady', async () => {
        await listener!.listen({ port: ownPort, host: config.METRICS_HOST })
        app.log.info({ address: listener!.addresses()[0] }, 'metrics listening')
      })
      app.addHook('onClose', async () => { await listener!.close() })
    }
  }
  app.decorate('metricsListener', listener)

  // The statistics line: what changed since the last one, from the counters /metrics exposes.
  let last = { messagesIn: sessions.messagesIn, framesOut: sessions.framesOut, framesDropped: sessions.framesDropped, stored: metrics.messagesStored }
  const stats = setInterval(() => {
    const now = { messagesIn: sessions.messagesIn, framesOut: sessions.framesOut, framesDropped: sessions.framesDropped, stored: metrics.messagesStored }
    app.log.info({
      connections: sessions.connections.size,
      sessions: sessions.sessionCount,
      users: sessions.userCount,
      messagesIn: now.messagesIn - last.messagesIn,
      messagesStored: now.stored - last.stored,
      framesOut: now.framesOut - last.framesOut,
      framesDropped: now.framesDropped - last.framesDropped
    }, 'connection statistics')
    last = now
  }, config.STATS_INTERVAL_MS).unref()
  app.addHook('onClose', async () => { clearInterval(stats) })
}, { name: 'metrics', dependencies: ['config', 'db', 'sessions', 'engines'] })
