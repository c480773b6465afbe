import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, tokenFor, useDatabase } from '../helpers.js'

const db = useDatabase()

interface OpenApi {
  openapi: string
  paths: Record<string, Record<string, { summary?: string, responses?: Record<string, unknown> }>>
}

/** Fastify's `/media/:attachmentId` as OpenAPI writes it: `/media/{attachmentId}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

test('/docs lists every HTTP route Fastify has, each with a summary and its answers, and nothing else', async (t) => {
  const app = await build(t, db.database)
  const page = await app.inject({ method: 'GET', url: '/docs' })
  assert.ok(page.statusCode === 200 || page.statusCode === 302, `GET /docs answered ${page.statusCode}`)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  assert.equal(response.statusCode, 200)
  const document = response.json<OpenApi>()
  assert.match(document.openapi, /^3\./)

  // HEAD routes are Fastify's automatic twins of the GET ones; the documentation's own routes are hidden.
  const routes = app.httpRoutes.filter((route) => route.method !== 'HEAD' && !route.hidden)
  assert.ok(routes.length >= 8, `only ${routes.length} routes seen`)
  for (const url of ['/healthz', '/readyz', '/metrics', '/push/subscriptions', '/ws']) {
    assert.ok(routes.some((route) => route.url === url), `${url} is among the routes`)
  }
  for (const route of routes) {
    const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()]
    assert.ok(operation !== undefined, `${route.method} ${route.url} is not in the OpenAPI document`)
    assert.ok((operation.summary ?? '').length > 10, `${route.method} ${route.url} has no summary`)
    assert.ok(Object.keys(operation.responses ?? {}).some((status) => status !== 'default'), `${route.method} ${route.url} documents no answer`)
  }
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) {
      assert.ok(routes.some((route) => openApiPath(route.url) === path && route.method.toLowerCase() === method), `the document has ${method} ${path}, which is no route`)
    }
  }
})

test('in production /docs is not served', async (t) => {
  const app = await build(t, db.database, { NODE_ENV: 'production', EMBEDDED_DB_IN_PRODUCTION: 'true', METRICS_PORT: 0, JWT_SECRET: 'production-secret-of-sufficient-length-0123456789' })
  for (const url of ['/docs', '/docs/json']) {
    const response = await app.inject({ method: 'GET', url })
    assert.equal(response.statusCode, 404, url)
    assert.deepEqual(response.json(), { result: 'failed', reason: 'Not found', code: 'NOT_FOUND' })
  }
})

test('every HTTP error answers in one shape: unknown routes, unreadable bodies, and input the route schema refuses (in the socket\'s words)', async (t) => {
  const app = await build(t, db.database)
  const unknown = await app.inject({ method: 'GET', url: '/no/such/route' })
  assert.equal(unknown.statusCode, 404)
  assert.deepEqual(unknown.json(), { result: 'failed', reason: 'Not found', code: 'NOT_FOUND' })

  const authorization = `Bearer ${tokenFor(app, 4)}`
  const unreadable = await app.inject({ method: 'POST', url: '/push/subscriptions', headers: { authorization, 'content-type': 'application/json' }, payload: '{"uuid":' })
  assert.equal(unreadable.statusCode, 400)
  assert.equal(unreadable.json().result, 'failed')
  assert.equal(unreadable.json().code, 'INVALID_FORMAT')
  assert.equal(unreadable.json().reason, 'Invalid message format')

  // The route's TypeBox schema, checked by TypeBox as the socket's commands are: the same words.
  const missing = await app.inject({ method: 'POST', url: '/push/subscriptions', headers: { authorization }, payload: { provider: 'fcm', token: 'x' } })
  assert.equal(missing.statusCode, 400)
  assert.deepEqual(missing.json(), { result: 'failed', reason: 'Missing required fields', code: 'MISSING_FIELDS', errors: [{ path: '/uuid', message: 'is required' }] })
  const wrongType = await app.inject({ method: 'POST', url: '/push/subscriptions', headers: { authorization }, payload: { uuid: 5, provider: 'fcm', token: 'x' } })
  assert.equal(wrongType.statusCode, 400)
  assert.equal(wrongType.json().code, 'INVALID_FORMAT')
  assert.equal(wrongType.json().errors[0].path, '/uuid')
})
