import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEV_JWT_SECRET, loadConfig } from '../src/config.js'
import { buildApp } from '../src/app.js'
import { useDatabase } from './helpers.js'
import { buildLogged } from './security/log-capture.js'

const db = useDatabase()

test('defaults fill in what the environment leaves out, and numbers arrive as numbers', () => {
  const config = loadConfig({ PORT: '8080', AUTH_TIMEOUT_MS: '2500', DEMO_SEED: 'false' })
  assert.equal(config.PORT, 8080)
  assert.equal(config.AUTH_TIMEOUT_MS, 2500)
  assert.equal(config.DEMO_SEED, false)
  assert.equal(config.MAX_MESSAGE_CHARS, 4000)
  assert.equal(config.HEARTBEAT_INTERVAL_MS, 30_000)
  assert.equal(config.JWT_USER_CLAIM, 'sub')
  assert.equal(config.DATABASE_URL, undefined, 'an empty value counts as unset')
})

test('a bad value stops start-up with a message naming the variable', () => {
  const bad: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'three thousand' }],
    ['AUTH_TIMEOUT_MS', { AUTH_TIMEOUT_MS: '0' }],
    ['HEARTBEAT_INTERVAL_MS', { HEARTBEAT_INTERVAL_MS: '-5' }],
    ['MAX_MESSAGE_CHARS', { MAX_MESSAGE_CHARS: '12.5' }],
    ['AUTH_TIMEOUT_MS', { AUTH_TIMEOUT_MS: '1e4' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['DEMO_SEED', { DEMO_SEED: 'maybe' }]
  ]
  for (const [name, env] of bad) {
    assert.throws(() => loadConfig(env), (error: Error) => error.message.startsWith('Invalid configuration') && error.message.includes(name), name)
  }
})

test('production refuses to start without a JWT secret or with the development one', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /JWT_SECRET/)
  assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET }), /JWT_SECRET/)
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-from-the-vault-0123456789', DEMO_SEED: 'true' })
  assert.equal(config.DEMO_SEED, false, 'no demo users in production')
})

test('building the app with a bad setting fails before anything starts', async () => {
  await assert.rejects(buildApp({ config: { NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: 'abc' } }), /PORT/)
  await assert.rejects(buildApp({ config: { NODE_ENV: 'production', LOG_LEVEL: 'silent', JWT_SECRET: '' } }), /JWT_SECRET/)
})

test('TRUST_PROXY is a setting like the others: off by default, a boolean, a bad value refused', () => {
  assert.equal(loadConfig({}).TRUST_PROXY, false)
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY, true)
  assert.throws(() => loadConfig({ TRUST_PROXY: 'yes please' }), /TRUST_PROXY/)
})

test('DB_POOL_WAIT_MS is still read under its old name DB_QUERY_TIMEOUT_MS; the new name wins', () => {
  assert.equal(loadConfig({}).DB_POOL_WAIT_MS, 5000)
  assert.equal(loadConfig({ DB_QUERY_TIMEOUT_MS: '400' }).DB_POOL_WAIT_MS, 400)
  assert.equal(loadConfig({ DB_QUERY_TIMEOUT_MS: '400', DB_POOL_WAIT_MS: '700' }).DB_POOL_WAIT_MS, 700)
  assert.throws(() => loadConfig({ DB_QUERY_TIMEOUT_MS: 'soon' }), /DB_POOL_WAIT_MS/)
})

test('the app warns once at start-up about a deprecated setting, and uses its value', async (t) => {
  const { app, lines } = await buildLogged(t, db.database, { DB_QUERY_TIMEOUT_MS: 1234 })
  assert.equal(app.config.DB_POOL_WAIT_MS, 1234)
  const warnings = lines().filter((line) => line.setting === 'DB_QUERY_TIMEOUT_MS')
  assert.equal(warnings.length, 1)
  assert.equal(warnings[0]!.level, 40)
  assert.equal(warnings[0]!.replacement, 'DB_POOL_WAIT_MS')
})
