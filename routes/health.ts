import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'

/** How long /readyz waits for the database before calling it unreachable. */
const READY_TIMEOUT_MS = 2000

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('timed out')), ms)
  promise.then(resolve, reject).finally(() => clearTimeout(timer))
})

const Check = Type.Union([Type.Literal('ok'), Type.Literal('unreachable')])
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Object({ database: Check, broker: Check })
})

export default async function healthRoutes (app: FastifyInstance) {
  app.get('/healthz', {
    logLevel: 'warn',
    schema: { summary: 'Liveness: 200 while the process serves', response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    logLevel: 'warn',
    schema: {
      summary: 'Readiness (for the load balancer): 200 while the database and the broker answer, 503 naming the one that does not',
      response: { 200: Readiness, 503: Readiness }
    }
  }, async (_request, reply) => {
    const checks = { database: 'ok', broker: 'ok' }
    await withTimeout(app.database.ping(), READY_TIMEOUT_MS).catch(() => { checks.database = 'unreachable' })
    await withTimeout(app.broker.ping(), READY_TIMEOUT_MS).catch(() => { checks.broker = 'unreachable' })
    const ready = checks.database === 'ok' && checks.broker === 'ok'
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks })
  })
}
