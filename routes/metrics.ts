import { createHash, timingSafeEqual } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { Failure, sendFailure } from './http-failures.js'

export interface MetricsRouteOptions {
  registry: Registry
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token: string | undefined
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/** Compares in constant time: the answer's timing says nothing of the token. */
const bearerMatches = (header: string | undefined, token: string) => {
  const given = /^Bearer (\S+)$/i.exec(header ?? '')?.[1]
  return given !== undefined && timingSafeEqual(digest(given), digest(token))
}

/** GET /metrics in the Prometheus text format, on the public port or on the metrics listener. */
export default async function metricsRoute (app: FastifyInstance, options: MetricsRouteOptions) {
  const { registry, token } = options
  app.get('/metrics', {
    logLevel: 'warn',
    schema: {
      summary: 'Prometheus metrics of this node (text exposition format)',
      ...(token !== undefined && {
        headers: Type.Object({ authorization: Type.Optional(Type.String({ description: 'Bearer <METRICS_TOKEN>' })) }),
        security: [{ bearer: [] }]
      }),
      response: {
        200: Type.String({ description: 'text/plain; version=0.0.4' }),
        401: Failure
      }
    }
  }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      return sendFailure(reply.header('www-authenticate', 'Bearer'), 'INVALID_TOKEN')
    }
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}
