import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { onPostgres } from '../helpers.js'
import { childEnv, runNode, SERVER, tempDir } from './processes.js'

const LONG_SECRET = 'production-secret-of-at-least-32-bytes-0123456789'

/** A loopback port that refuses connections (nothing listens there). */
async function closedPort (): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => probe.once('listening', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

interface Refusal { name: string, settings: Record<string, string>, says: RegExp, args?: string[] }

test('settings an operator must fix stop the real entry points with one line naming the variable and the fix, no stack', { timeout: 300_000 }, async (t) => {
  const busy = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => busy.once('listening', resolve))
  t.after(() => { busy.close() })
  const busyPort = (busy.address() as AddressInfo).port
  const untouched = join(tempDir(t, 'chat-refusal-'), 'pglite')
  const refused = `postgres://postgres@127.0.0.1:${await closedPort()}/chat`
  const refusals: Refusal[] = [
    { name: 'production without DATABASE_URL', settings: { NODE_ENV: 'production', JWT_SECRET: LONG_SECRET }, says: /^Invalid configuration: DATABASE_URL is required when NODE_ENV=production: set it to the PostgreSQL connection string .* set EMBEDDED_DB_IN_PRODUCTION=true$/ },
    { name: 'a short HMAC secret in production', settings: { NODE_ENV: 'production', JWT_SECRET: 'hunter2', DATABASE_URL: refused }, says: /^Invalid configuration: JWT_SECRET is 7 bytes; production needs at least 32 \(RFC 7518 §3\.2\)/ },
    { name: 'a short secret for HS512', settings: { NODE_ENV: 'production', JWT_SECRET: LONG_SECRET, JWT_ALGORITHMS: 'HS512', DATABASE_URL: refused }, says: /^Invalid configuration: JWT_SECRET is 49 bytes; production needs at least 64/ },
    { name: 'DATABASE_URL not a URL', settings: { DATABASE_URL: 'not-a-url' }, says: /^Invalid configuration: DATABASE_URL is not a URL: write it as postgres:\/\/user:password@host:5432\/database$/ },
    { name: 'a MySQL URL', settings: { DATABASE_URL: 'mysql://root@127.0.0.1/chat' }, says: /^Invalid configuration: DATABASE_URL must be a PostgreSQL URL \(postgres:\/\/ or postgresql:\/\/\), not mysql:\/\// },
    { name: 'PostgreSQL not listening', settings: { DATABASE_URL: refused }, says: new RegExp(`^DATABASE_URL postgres://postgres@127\\.0\\.0\\.1:\\d+/chat: connection refused by 127\\.0\\.0\\.1:\\d+: is PostgreSQL running there`) },
    { name: 'npm run db:migrate against it', args: ['--import', 'tsx', 'src/cli/migrate.ts'], settings: { DATABASE_URL: refused }, says: /^DATABASE_URL .*: connection refused/ },
    { name: 'a port in use', settings: { PORT: String(busyPort), HOST: '127.0.0.1', PGLITE_DIR: untouched }, says: new RegExp(`^PORT ${busyPort} is already in use on 127\\.0\\.0\\.1 \\(another server\\?\\): stop it, or set PORT to a free port$`) },
    { name: 'an origin with a trailing slash', settings: { ALLOWED_ORIGINS: 'https://app.example.com/' }, says: /^Invalid configuration: ALLOWED_ORIGINS entry "https:\/\/app\.example\.com\/" can never match a browser's Origin header, .*: write "https:\/\/app\.example\.com"$/ },
    { name: 'an origin with a path', settings: { ALLOWED_ORIGINS: 'https://ok.example.com, https://app.example.com/chat' }, says: /^Invalid configuration: ALLOWED_ORIGINS entry "https:\/\/app\.example\.com\/chat" can never match/ },
    { name: 'a log level that does not exist', settings: { LOG_LEVEL: 'loud' }, says: /^Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/ },
    { name: 'the development secret on the network', settings: { HOST: '0.0.0.0', JWT_SECRET: '' }, says: /^Invalid configuration: HOST 0\.0\.0\.0 makes the server reachable from the network, and without JWT_SECRET .* Set JWT_SECRET \(at least 32 bytes\), or leave HOST unset \(127\.0\.0\.1\)$/ },
    { name: 'the token CLI in production with a short secret', args: ['--import', 'tsx', 'src/cli/token.ts', '4'], settings: { NODE_ENV: 'production', JWT_SECRET: 'short', DATABASE_URL: refused }, says: /^Invalid configuration: JWT_SECRET is 5 bytes/ }
  ]
  if (onPostgres) {
    const url = new URL(process.env.DATABASE_URL!)
    const missingDatabase = new URL(url); missingDatabase.pathname = '/no_such_database_here'
    const missingRole = new URL(url); missingRole.username = 'no_such_role_here'; missingRole.password = ''
    refusals.push(
      { name: 'a database that does not exist', settings: { DATABASE_URL: missingDatabase.toString() }, says: /^DATABASE_URL .*: database "no_such_database_here" does not exist: create it \(createdb no_such_database_here\)/ },
      { name: 'a role that does not exist', settings: { DATABASE_URL: missingRole.toString() }, says: /^DATABASE_URL postgres:\/\/no_such_role_here@.*(role "no_such_role_here"|password authentication failed)/ }
    )
  }
  await Promise.all(refusals.map(async ({ name, settings, says, args }) => {
    const run = runNode(t, args ?? SERVER, childEnv({ PORT: '0', PGLITE_DIR: 'memory://', LOG_LEVEL: 'warn', ...settings }))
    const { code } = await run.exited
    assert.equal(code, 1, `${name}: exit code (stderr: ${run.stderr})`)
    assert.match(run.stderr.trim(), says, name)
    assert.equal(run.stderr.trim().split('\n').length, 1, `${name}: one line, no stack: ${run.stderr}`)
    assert.doesNotMatch(run.stderr, /Failed query/, name)
  }))
  assert.equal(existsSync(untouched), false, 'the busy port was found before the database was opened')
})

test('production on the embedded database only when EMBEDDED_DB_IN_PRODUCTION=true says so', { timeout: 120_000 }, async (t) => {
  const server = runNode(t, SERVER, childEnv({ NODE_ENV: 'production', JWT_SECRET: LONG_SECRET, EMBEDDED_DB_IN_PRODUCTION: 'true', PGLITE_DIR: 'memory://', PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }))
  await server.line(/Server listening/)
})

test('outside production the server listens on 127.0.0.1 unless HOST says otherwise: not reachable from the network', { timeout: 120_000 }, async (t) => {
  const server = runNode(t, SERVER, childEnv({ PORT: '0', PGLITE_DIR: 'memory://', LOG_LEVEL: 'info', DEMO_SEED: 'false' }))
  const line = await server.line(/Server listening/)
  const port = Number(/:(\d+)$/.exec(JSON.parse(line).msg as string)?.[1])
  assert.match(JSON.parse(line).msg as string, /^Server listening at http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200)
  const external = Object.values(networkInterfaces()).flat().find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)
  if (external === undefined) return t.diagnostic('no non-loopback IPv4 address on this machine: the network side is not checked')
  await assert.rejects(fetch(`http://${external.address}:${port}/healthz`), `not reachable on ${external.address}`)
})
