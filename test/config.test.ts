import { test } from 'node:test'
import assert from 'node:assert/strict'
import { configWarnings, DEV_JWT_SECRET, durationMs, loadConfig } from '../src/config.js'
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
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-from-the-vault-0123456789', DATABASE_URL: 'postgres://chat@db.internal/chat', DEMO_SEED: 'true' })
  assert.equal(config.DEMO_SEED, false, 'no demo users in production')
})

test('production: DATABASE_URL unless EMBEDDED_DB_IN_PRODUCTION=true, and an HMAC secret of at least 32 bytes (RFC 7518 §3.2)', () => {
  const secret = 'a-real-secret-from-the-vault-0123456789'
  assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret }), /^StartupError: Invalid configuration: DATABASE_URL is required when NODE_ENV=production/)
  assert.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, EMBEDDED_DB_IN_PRODUCTION: 'true' }).DATABASE_URL, undefined)
  const url = 'postgres://chat@db.internal/chat'
  assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31), DATABASE_URL: url }), /JWT_SECRET is 31 bytes; production needs at least 32/)
  assert.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: url }).JWT_SECRET, 'x'.repeat(32))
  assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'é'.repeat(15), DATABASE_URL: url }), /is 30 bytes/, 'counted in bytes, not characters')
  assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), JWT_ALGORITHMS: 'HS384', DATABASE_URL: url }), /needs at least 48/)
  // Outside production a short secret is allowed (tests, a laptop); the app warns about it.
  assert.equal(loadConfig({ JWT_SECRET: 'short' }).JWT_SECRET, 'short')
})

test('HOST: 127.0.0.1 outside production, 0.0.0.0 in production; the network with the development secret is refused', () => {
  assert.equal(loadConfig({}).HOST, '127.0.0.1')
  assert.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://db/chat' }).HOST, '0.0.0.0')
  assert.throws(() => loadConfig({ HOST: '0.0.0.0' }), /HOST 0\.0\.0\.0 makes the server reachable from the network/)
  assert.equal(loadConfig({ HOST: '0.0.0.0', JWT_SECRET: 'x'.repeat(32) }).HOST, '0.0.0.0')
  assert.equal(loadConfig({ HOST: '::1' }).HOST, '::1')
})

test('configuration errors say what a valid value looks like', () => {
  const says = (env: Record<string, string>, text: string) => assert.throws(() => loadConfig(env), (error: Error) => error.message === text, text)
  says({ LOG_LEVEL: 'loud' }, 'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")')
  says({ AUTH_TIMEOUT_MS: '0' }, 'Invalid configuration: AUTH_TIMEOUT_MS must be a whole number of at least 1 (got "0")')
  says({ MAX_MESSAGE_CHARS: '12.5' }, 'Invalid configuration: MAX_MESSAGE_CHARS must be a whole number of at least 1 (got "12.5")')
  says({ PORT: '70000' }, 'Invalid configuration: PORT must be a port number from 0 to 65535 (got "70000")')
  says({ DEMO_SEED: 'maybe' }, 'Invalid configuration: DEMO_SEED must be true or false (got "maybe")')
  says({ ALLOWED_ORIGINS: 'https://a.example.com:443' }, 'Invalid configuration: ALLOWED_ORIGINS entry "https://a.example.com:443" can never match a browser\'s Origin header, which is scheme://host[:port] with no path or trailing slash: write "https://a.example.com"')
  assert.equal(loadConfig({ ALLOWED_ORIGINS: 'https://a.example.com, http://localhost:5173' }).ALLOWED_ORIGINS, 'https://a.example.com, http://localhost:5173')
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

test('attachment settings: limits by kind, a duration for the orphan lifetime, S3 settings that go together', () => {
  const defaults = loadConfig({})
  assert.deepEqual([defaults.UPLOAD_MAX_IMAGE_BYTES, defaults.UPLOAD_MAX_VIDEO_BYTES, defaults.UPLOAD_MAX_FILE_BYTES], [10 * 1024 * 1024, 100 * 1024 * 1024, 25 * 1024 * 1024])
  assert.equal(durationMs(defaults.UPLOAD_ORPHAN_TTL), 24 * 3600 * 1000)
  assert.deepEqual(['90', '90s', '30m', '7d'].map((text) => durationMs(loadConfig({ UPLOAD_ORPHAN_TTL: text }).UPLOAD_ORPHAN_TTL)), [90_000, 90_000, 1_800_000, 604_800_000])
  assert.throws(() => loadConfig({ UPLOAD_ORPHAN_TTL: '1 day' }), /UPLOAD_ORPHAN_TTL must be a duration such as 90s, 30m, 24h or 7d \(or a number of seconds\) \(got "1 day"\)/)
  assert.throws(() => loadConfig({ UPLOAD_MAX_VIDEO_BYTES: '100MB' }), /UPLOAD_MAX_VIDEO_BYTES must be a whole number/)
  assert.throws(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000' }), /S3_BUCKET is required with S3_ENDPOINT/)
  assert.throws(() => loadConfig({ S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'id' }), /S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together/)
  assert.throws(() => loadConfig({ MEDIA_ALLOWED_ORIGINS: 'https://cdn.example.com/' }), /MEDIA_ALLOWED_ORIGINS entry "https:\/\/cdn.example.com\/"/)
})

test('outside production the development secret and a short secret are warnings, not refusals; a good secret says nothing', () => {
  const messages = (source: Record<string, string>) => configWarnings(loadConfig(source), source).map((warning) => warning.message)
  assert.deepEqual(messages({}), ['JWT_SECRET is not set: using the fixed development secret, accepted on a loopback address only (never do this in production)'])
  const short = configWarnings(loadConfig({ JWT_SECRET: 'short' }), {})
  assert.deepEqual(short.map((warning) => warning.fields), [{ secretBytes: 5, minimumBytes: 32 }])
  assert.deepEqual(messages({ JWT_SECRET: 'x'.repeat(32) }), [])
  assert.deepEqual(messages({ JWT_SECRET: 'x'.repeat(32), JWT_ALGORITHMS: 'HS512' }), ['JWT_SECRET is shorter than RFC 7518 asks: production refuses to start with it'])
})
