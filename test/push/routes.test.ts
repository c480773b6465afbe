import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'drizzle-orm'
import { loadConfig } from '../../src/config.js'
import { pruneOutbox } from '../../src/push/outbox.js'
import { cutUtf8 } from '../../src/push/render.js'
import { build, TEST_CONFIG, tokenFor, useDatabase } from '../helpers.js'
import { buildLogged } from '../security/log-capture.js'
import { pushConfig, registrationCount } from './helpers.js'
import { BrowserSubscription, vapidKeys } from './push-service.js'

const shared = useDatabase()

test('VAPID_SUBJECT must be mailto: or https:, and the VAPID settings go together', () => {
  const keys = vapidKeys()
  const base = { ...TEST_CONFIG, VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey }
  assert.throws(() => loadConfig({ ...base, VAPID_SUBJECT: 'http://bdsthat.example' }), /VAPID_SUBJECT must be a mailto: or https: URL/)
  assert.throws(() => loadConfig({ ...base, VAPID_SUBJECT: 'push@bdsthat.example' }), /VAPID_SUBJECT/)
  assert.throws(() => loadConfig({ ...TEST_CONFIG, VAPID_PUBLIC_KEY: keys.publicKey }), /go together/)
  assert.equal(loadConfig({ ...base, VAPID_SUBJECT: 'https://bdsthat.example/contact' }).VAPID_SUBJECT, 'https://bdsthat.example/contact')
})

test('cutUtf8 never splits a character', () => {
  assert.equal(cutUtf8('aệb', 2), 'a')
  assert.equal(cutUtf8('aệb', 4), 'aệ')
  assert.equal(cutUtf8('😀😀', 5), '😀')
})

test('GET /push/vapid-public-key and POST /push/subscriptions with a bearer token', async (t) => {
  const keys = vapidKeys()
  const app = await build(t, shared.database, pushConfig(keys, { NODE_ENV: 'production', METRICS_PORT: 0, EMBEDDED_DB_IN_PRODUCTION: 'true', JWT_SECRET: 'production-secret-of-sufficient-length-0123456789' }))
  const key = await app.inject({ method: 'GET', url: '/push/vapid-public-key' })
  assert.deepEqual(key.json(), { publicKey: keys.publicKey })

  const browser = new BrowserSubscription('https://push.example/abc')
  const body = { uuid: 'sw-1', provider: 'webpush', subscription: browser.toJSON(), locale: 'vi-VN' }
  const post = (payload: unknown, token?: string) => app.inject({
    method: 'POST', url: '/push/subscriptions', payload: payload as Record<string, unknown>,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` }
  })
  const anonymous = await post(body)
  assert.equal(anonymous.statusCode, 401)
  assert.equal(anonymous.json().reason, 'Invalid token')

  const token = tokenFor(app, 14)
  const plainHttp = await post({ ...body, subscription: new BrowserSubscription('http://127.0.0.1:9/x').toJSON() }, token)
  assert.equal(plainHttp.statusCode, 400)
  assert.equal(plainHttp.json().reason, 'Invalid message format')
  assert.deepEqual(plainHttp.json().errors, [{ path: '/subscription/endpoint', message: 'must be an https: URL' }])

  const missing = await post({ uuid: 'sw-1', provider: 'webpush' }, token)
  assert.equal(missing.statusCode, 400)
  assert.equal(missing.json().reason, 'Missing required fields')

  const empty = await post({ ...body, subscription: {} }, token)
  assert.equal(empty.json().reason, 'Missing required fields')
  assert.deepEqual(empty.json().errors.map((error: { path: string }) => error.path), ['/subscription/endpoint', '/subscription/keys/p256dh', '/subscription/keys/auth'])

  const badKey = await post({ ...body, subscription: { endpoint: 'https://push.example/abc', keys: { p256dh: 'AAAA', auth: browser.toJSON().keys.auth } } }, token)
  assert.equal(badKey.json().errors[0].path, '/subscription/keys/p256dh')

  const ok = await post(body, token)
  assert.equal(ok.statusCode, 201)
  assert.deepEqual(ok.json(), { result: 'success' })
  assert.equal(await registrationCount(app, 14), 1)

  const banned = await post(body, tokenFor(app, 16))
  assert.equal(banned.statusCode, 403)
  assert.equal(banned.json().reason, 'Account is not active')
})

test('without a provider push is off, the server says so once, and serves no key', async (t) => {
  const { app, lines } = await buildLogged(t, shared.database)
  assert.equal(lines().filter((line) => /push notifications are off/.test(String(line.msg))).length, 1)
  assert.equal(app.push.providers.size, 0)
  assert.equal(app.push.worker, undefined)
  const key = await app.inject({ method: 'GET', url: '/push/vapid-public-key' })
  assert.equal(key.statusCode, 404)
})

test('the outbox is pruned: stale pending rows expire, old finished rows go', async (t) => {
  const app = await build(t, shared.database)
  await app.db.execute(sql`INSERT INTO push_outbox (user_id, room_id, message_id, created_at, state, finished_at) VALUES
    (14, 1, 1, now() - interval '2 hours', 'pending', NULL),
    (14, 1, 2, now(), 'pending', NULL),
    (14, 1, 3, now() - interval '3 days', 'sent', now() - interval '2 days'),
    (14, 1, 4, now(), 'sent', now())`)
  assert.deepEqual(await pruneOutbox(app.db, 3600, 24 * 3600_000), { expired: 1, deleted: 1 })
  const result = await app.db.execute(sql`SELECT message_id::text AS id, state::text AS state FROM push_outbox ORDER BY message_id`)
  const rows = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as Array<{ id: string, state: string }>
  assert.deepEqual(rows.map((row) => `${row.id}:${row.state}`), ['1:expired', '2:pending', '4:sent'])
})
