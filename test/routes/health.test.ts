import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, TEST_CONFIG, useDatabase } from '../helpers.js'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/client.js'

const db = useDatabase()

test('GET /healthz answers 200 while the process is alive', async (t) => {
  const app = await build(t, db.database)
  const response = await app.inject({ method: 'GET', url: '/healthz' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok' })
})

test('GET /readyz answers 200 when the database and the broker answer', async (t) => {
  const app = await build(t, db.database)
  const response = await app.inject({ method: 'GET', url: '/readyz' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ready', checks: { database: 'ok', broker: 'ok' } })
})

test('GET /readyz answers 503 naming the database when the database is gone', async (t) => {
  // A database of its own, closed under the running app: a real failure, whatever the suite runs on.
  const doomed = await openDatabase({ pgliteDir: 'memory://', migrate: false })
  const app = await buildApp({ config: TEST_CONFIG, database: doomed })
  t.after(async () => { await app.close(); await doomed.close() })
  await app.ready()
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  await doomed.close()
  const response = await app.inject({ method: 'GET', url: '/readyz' })
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json(), { status: 'unavailable', checks: { database: 'unreachable', broker: 'ok' } })
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'alive, only not ready')
})
