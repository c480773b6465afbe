import { test } from 'node:test'
import { readFileSync } from 'node:fs'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { build, connectReal, listen, loggedIn, onPostgres, textMessage, useDatabase, type Frame, type TestClient } from '../helpers.js'
import { metricsPort } from '../../plugins/metrics.js'
import { uniquePrefix } from '../cluster/nodes.js'
import { startPrivateRedis } from '../cluster/redis-server.js'
import { buildLogged } from '../security/log-capture.js'

const db = useDatabase()
// Presence frames are delivered frames like any other: the count below includes them.

/** One sample of the text format: `name{labels} value`. */
interface Sample { name: string, labels: Record<string, string>, value: number }

/** Parses the Prometheus text exposition format (the lines that are not comments). */
function parseMetrics (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(match !== null, `not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const pair of match[2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[pair[1]!] = pair[2]!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** The value of one sample (0 when absent: a labelled counter shows only the labels it has counted). */
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value) &&
    Object.keys(sample.labels).length === Object.keys(labels).length)?.value ?? 0

const httpBase = (wsUrl: string) => wsUrl.replace(/^ws:/, 'http:').replace(/\/ws$/, '')

async function scrape (base: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(`${base}/metrics`, { headers })
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
  return parseMetrics(await response.text())
}

/** Frames a client received that the delivery path sent (not direct answers), taken out of its queue. */
const deliveredFrames = (client: TestClient): Frame[] =>
  client.pending().filter((frame) => frame.result === undefined && frame.command !== 'pong')

/** A ping round trip: every frame the server sent before the pong has arrived. */
const barrier = async (client: TestClient) => { await client.request({ command: 'ping' }) }

/** Polls until `check` holds (the server counts a close when its socket has finished closing). */
async function eventually (check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('after a scripted conversation over real sockets, /metrics shows each counter moved by exactly what happened', async (t) => {
  // A burst that the conversation fits in, and no refill worth a frame during the test: refusals are exact.
  const app = await build(t, db.database, { RATE_LIMIT_BURST: 30, RATE_LIMIT_PER_S: 0.001 })
  const url = await listen(app)
  const base = httpBase(url)
  const before = await scrape(base)
  const delta = (after: Sample[], name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels)

  const buyer = await loggedIn(app, 4, 'metrics-buyer', { url })
  const agent = await loggedIn(app, 14, 'metrics-agent', { url })
  const stranger = await connectReal(url)
  const refused = await stranger.request({ command: 'user_login', userId: 16, token: 'not-a-token', uuid: 'metrics-stranger' })
  assert.equal(refused.code, 'INVALID_TOKEN')

  for (const content of ['one', 'two', 'three']) {
    const ack = await buyer.request(textMessage(content))
    assert.equal(ack.result, 'success')
  }
  assert.equal((await buyer.request({ command: 'no_such_command' })).code, 'UNKNOWN_COMMAND')
  buyer.send('{not json')
  assert.equal((await buyer.next((frame) => frame.code === 'INVALID_FORMAT')).result, 'failed')
  await barrier(buyer)
  await barrier(agent)
  assert.equal(agent.pending().filter((frame) => frame.command === 'user_message').length, 3)

  // A flood on one socket: the burst (30, less the login) runs, the rest is refused one by one.
  const flooder = await loggedIn(app, 15, 'metrics-flooder', { url })
  for (let i = 0; i < 35; i++) flooder.send({ command: 'ping', requestId: `p${i}` })
  const answers: Frame[] = []
  for (let i = 0; i < 35; i++) answers.push(await flooder.next((frame) => frame.requestId === `p${i}`))
  const rateLimited = answers.filter((frame) => frame.code === 'RATE_LIMITED').length
  assert.equal(rateLimited, 6)

  buyer.close()
  assert.equal((await buyer.closedWithin()).code, 1005)
  await eventually(async () => valueOf(await scrape(base), 'chat_connections') === 3, 'the buyer\'s connection gone')
  await barrier(agent)
  // The buyer's three acknowledgements travel the delivery path too, with the broadcasts.
  const delivered = 3 + deliveredFrames(buyer).length + deliveredFrames(agent).length + deliveredFrames(flooder).length + deliveredFrames(stranger).length
  assert.ok(delivered >= 6)

  const after = await scrape(base)
  assert.equal(delta(after, 'chat_logins_total', { result: 'success' }), 3)
  assert.equal(delta(after, 'chat_logins_total', { result: 'INVALID_TOKEN' }), 1)
  assert.equal(delta(after, 'chat_commands_total', { command: 'user_login', result: 'success' }), 3)
  assert.equal(delta(after, 'chat_commands_total', { command: 'user_login', result: 'INVALID_TOKEN' }), 1)
  assert.equal(delta(after, 'chat_commands_total', { command: 'user_message', result: 'success' }), 3)
  assert.equal(delta(after, 'chat_commands_total', { command: 'unknown', result: 'UNKNOWN_COMMAND' }), 1)
  assert.equal(delta(after, 'chat_commands_total', { command: 'none', result: 'INVALID_FORMAT' }), 1)
  // Barriers: one by the buyer, two by the agent; then the flood's pings that ran, and those refused.
  assert.equal(delta(after, 'chat_commands_total', { command: 'ping', result: 'success' }), 3 + 35 - rateLimited)
  assert.equal(delta(after, 'chat_commands_total', { command: 'ping', result: 'RATE_LIMITED' }), rateLimited)
  assert.equal(delta(after, 'chat_rate_limited_total', { action: 'refuse' }), rateLimited)
  assert.equal(delta(after, 'chat_messages_received_total'), 3)
  assert.equal(delta(after, 'chat_messages_stored_total'), 3)
  assert.equal(delta(after, 'chat_frames_delivered_total'), delivered)
  assert.equal(delta(after, 'chat_frames_dropped_total'), 0)
  assert.equal(delta(after, 'chat_closes_total', { code: '1005' }), 1)
  assert.equal(delta(after, 'chat_store_batch_size_sum'), 3, 'every stored message was in one batch')
  const batches = delta(after, 'chat_store_batch_size_count')
  assert.ok(batches >= 1 && batches <= 3)
  assert.equal(delta(after, 'chat_store_duration_seconds_count'), batches)
  assert.equal(delta(after, 'chat_delivery_latency_seconds_count'), 3)
  assert.equal(delta(after, 'chat_broker_received_total', { type: 'room_frame' }), 3)
  // One process: every event the node publishes comes back to it once.
  const received = after.filter((sample) => sample.name === 'chat_broker_received_total').reduce((sum, sample) => sum + sample.value, 0) -
    before.filter((sample) => sample.name === 'chat_broker_received_total').reduce((sum, sample) => sum + sample.value, 0)
  assert.equal(delta(after, 'chat_broker_published_total'), received)
  assert.equal(delta(after, 'chat_broker_publish_failures_total'), 0)
  assert.equal(valueOf(after, 'chat_connections'), 3)
  assert.equal(valueOf(after, 'chat_sessions'), 2)
  assert.equal(valueOf(after, 'chat_users'), 2)
  assert.equal(valueOf(after, 'chat_broker_up'), 1)
  assert.equal(valueOf(after, 'chat_database_up'), 1)
  // No user or room id is ever a label.
  for (const sample of after) {
    for (const [label, value] of Object.entries(sample.labels)) {
      assert.ok(!['userId', 'roomId', 'user', 'room'].includes(label), `${sample.name} has a ${label} label`)
      if (sample.name.startsWith('chat_') && label !== 'le') assert.doesNotMatch(value, /^(4|14|15|16|1)$/, `${sample.name}{${label}="${value}"}`)
    }
  }
  // The process's default metrics, event-loop delay among them.
  assert.ok(valueOf(after, 'process_cpu_user_seconds_total') > 0)
  assert.ok(after.some((sample) => sample.name === 'nodejs_eventloop_lag_p99_seconds'))
  if (onPostgres) {
    assert.equal(valueOf(after, 'chat_db_pool_size'), 10)
    assert.ok(delta(after, 'chat_db_pool_wait_seconds_count') >= 3, 'the statements waited (briefly) for their connections')
  } else {
    assert.equal(after.some((sample) => sample.name === 'chat_db_pool_size'), false, 'the embedded database has no pool')
    assert.equal(delta(after, 'chat_db_pool_wait_seconds_count'), 0)
  }
  for (const client of [agent, stranger, flooder]) client.close()
})

test('every chat metric the dashboard and the alert examples name is one the server exports', async (t) => {
  const app = await build(t, db.database)
  const text = await (await fetch(`${httpBase(await listen(app))}/metrics`)).text()
  const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!))
  const pool = ['chat_db_pool_size', 'chat_db_pool_in_use', 'chat_db_pool_waiting']
  for (const file of ['docs/grafana/chat.json', 'docs/operations.md']) {
    const named = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').matchAll(/\b(chat_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)
    for (const [, name] of named) {
      if (!onPostgres && pool.includes(name!)) continue
      assert.ok(exported.has(name!), `${file} names ${name}, which /metrics does not have`)
    }
  }
})

const redisSkip = process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' ? 'needs Redis: set REDIS_URL' : false

test('with the Redis engine, /metrics shows each Redis connection and the broker going down and back, and the publishes refused meanwhile', { skip: redisSkip }, async (t) => {
  // A Redis of the test's own, stopped and started again; the machine's is never touched.
  const redis = await startPrivateRedis()
  t.after(() => redis.destroy())
  const app = await build(t, db.database, { REDIS_URL: redis.url, REDIS_PREFIX: uniquePrefix() })
  const url = await listen(app)
  const base = httpBase(url)
  const up = async () => {
    const samples = await scrape(base)
    return [valueOf(samples, 'chat_redis_connection_up', { role: 'commands' }), valueOf(samples, 'chat_redis_connection_up', { role: 'subscriber' }), valueOf(samples, 'chat_broker_up')]
  }
  await eventually(async () => (await up()).every((value) => value === 1), 'both Redis connections ready')
  const buyer = await loggedIn(app, 4, 'redis-buyer', { url })
  const failuresBefore = valueOf(await scrape(base), 'chat_broker_publish_failures_total')

  await redis.stop()
  await eventually(async () => (await up()).every((value) => value === 0), 'both connections and the broker seen down')
  // Stored all the same, and answered: the refused publish is counted.
  assert.equal((await buyer.request(textMessage('while Redis is away'))).result, 'success')
  assert.ok(valueOf(await scrape(base), 'chat_broker_publish_failures_total') - failuresBefore >= 1)

  await redis.start()
  await eventually(async () => (await up()).every((value) => value === 1), 'both connections back')
  buyer.close()
})

test('the statistics line says what changed since the previous one, from the same counters /metrics exposes', async (t) => {
  const { app, lines } = await buildLogged(t, db.database, { STATS_INTERVAL_MS: 100 })
  const url = await listen(app)
  const stats = () => lines().filter((line) => line.msg === 'connection statistics')
  const buyer = await loggedIn(app, 4, 'stats-buyer', { url })
  const agent = await loggedIn(app, 14, 'stats-agent', { url })
  const seen = stats().length
  await buyer.request(textMessage('counted'))
  await agent.next((frame) => frame.command === 'user_message')
  // Each line holds what changed since the one before: added up, the lines since the login count the message once.
  const since = (field: string) => stats().slice(seen).reduce((sum, line) => sum + (line[field] as number), 0)
  await eventually(async () => since('messagesStored') === 1, 'statistics lines with the stored message')
  assert.equal(since('messagesIn'), 1)
  assert.ok(since('framesOut') >= 1)
  const before = stats().length
  await eventually(async () => stats().length > before + 1, 'two more lines')
  assert.equal(since('messagesStored'), 1, 'not counted again')
  assert.equal(stats().at(-1)!.connections, 2)
  assert.equal(stats().at(-1)!.users, 2)
  const samples = await scrape(httpBase(url))
  assert.equal(valueOf(samples, 'chat_messages_stored_total'), app.metrics.messagesStored)
  for (const client of [buyer, agent]) client.close()
})

test('with METRICS_TOKEN, /metrics answers only a scraper that sends it as a bearer token', async (t) => {
  const app = await build(t, db.database, { METRICS_TOKEN: 'scrape-secret' })
  const base = httpBase(await listen(app))
  const without = await fetch(`${base}/metrics`)
  assert.equal(without.status, 401)
  assert.equal(without.headers.get('www-authenticate'), 'Bearer')
  assert.deepEqual(await without.json(), { result: 'failed', reason: 'Invalid token', code: 'INVALID_TOKEN' })
  assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-secret' } })).status, 401)
  assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'scrape-secret' } })).status, 401, 'the Bearer scheme is required')
  const samples = await scrape(base, { authorization: 'Bearer scrape-secret' })
  assert.ok(samples.some((sample) => sample.name === 'chat_connections'))
})

const PRODUCTION = { NODE_ENV: 'production', EMBEDDED_DB_IN_PRODUCTION: 'true', JWT_SECRET: 'production-secret-of-sufficient-length-0123456789' }

const metricsListenerBase = (app: FastifyInstance) => {
  const address = app.metricsListener?.server.address()
  assert.ok(typeof address === 'object' && address !== null, 'a metrics listener runs')
  assert.equal(address.address, '127.0.0.1', 'bound to loopback')
  return `http://127.0.0.1:${address.port}`
}

test('in production without METRICS_TOKEN, /metrics is served on the loopback metrics port, never on the public port', async (t) => {
  assert.equal(metricsPort({ NODE_ENV: 'production', METRICS_PORT: undefined, METRICS_TOKEN: undefined }), 9464, 'the default port')
  assert.equal(metricsPort({ NODE_ENV: 'development', METRICS_PORT: undefined, METRICS_TOKEN: undefined }), undefined, 'the public port outside production')
  assert.equal(metricsPort({ NODE_ENV: 'production', METRICS_PORT: undefined, METRICS_TOKEN: 'x' }), undefined, 'the public port with a token')
  const app = await build(t, db.database, { ...PRODUCTION, METRICS_PORT: 0 })
  const base = httpBase(await listen(app))
  assert.equal((await fetch(`${base}/metrics`)).status, 404)
  const samples = await scrape(metricsListenerBase(app))
  assert.ok(samples.some((sample) => sample.name === 'chat_connections'))
})

test('in production with METRICS_TOKEN, /metrics is on the public port behind the token', async (t) => {
  const app = await build(t, db.database, { ...PRODUCTION, METRICS_TOKEN: 'scrape-secret' })
  assert.equal(app.metricsListener, undefined)
  const base = httpBase(await listen(app))
  assert.equal((await fetch(`${base}/metrics`)).status, 401)
  await scrape(base, { authorization: 'Bearer scrape-secret' })
})

test('METRICS=off serves no /metrics and keeps counting what the statistics line needs', async (t) => {
  const app = await build(t, db.database, { METRICS: 'off' })
  const url = await listen(app)
  assert.equal((await fetch(`${httpBase(url)}/metrics`)).status, 404)
  assert.equal(app.metricsRegistry, undefined)
  const buyer = await loggedIn(app, 4, 'off-buyer', { url })
  await buyer.request(textMessage('counted anyway'))
  assert.equal(app.sessions.messagesIn, 1)
  assert.equal(app.metrics.messagesStored, 1)
  assert.equal(app.metrics.commands.total, 0, 'the labelled counts are off')
  buyer.close()
})
