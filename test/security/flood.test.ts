import { test } from 'node:test'
import assert from 'node:assert/strict'
import { and, count, eq } from 'drizzle-orm'
import { messages } from '../../src/db/schema.js'
import { build, connect, listen, loggedIn, loggedInAll, receivedSoFar, tokenFor, useDatabase, type Frame } from '../helpers.js'

const db = useDatabase()

const text = (content: string, extra: Frame = {}) => ({ command: 'user_message', roomId: 1, messageType: 'TEXT', content, ...extra })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Under a flood a neighbour's request may take this many times the quiet median of the same run ... */
const FLOOD_LATENCY_RATIO = 10
/** ... or this long, whichever is more. */
const FLOOD_LATENCY_FLOOR_MS = 300

test('a socket sending 1 000 frames in a second gets refusals then 4029, while another member of the room keeps normal latency', async (t) => {
  const app = await build(t, db.database) // the default limits
  const { RATE_LIMIT_PER_S: perS, RATE_LIMIT_BURST: burst } = app.config
  const url = await listen(app)
  const flooder = await loggedIn(app, 4, 'flooder', { url })
  const neighbour = await loggedIn(app, 14, 'neighbour', { url })
  // Warm up (the first store of a fresh database prepares its statements), then measure the quiet latency
  // of this run on this machine, then the latency under the flood.
  assert.equal((await neighbour.request(text('warm-up'))).result, 'success')
  await flooder.next((frame) => frame.command === 'user_message')
  const quiet: number[] = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    assert.equal((await neighbour.request(text(`yên tĩnh ${i}`))).result, 'success')
    quiet.push(performance.now() - started)
    await flooder.next((frame) => frame.command === 'user_message')
  }

  const latencies: number[] = []
  const neighbourTalks = (async () => {
    for (let i = 0; i < 10; i++) {
      const started = performance.now()
      const answer = await neighbour.request(text(`bình thường ${i}`, { requestId: `n-${i}` }), 3000)
      assert.equal(answer.result, 'success')
      latencies.push(performance.now() - started)
      await sleep(100)
    }
  })()

  const started = performance.now()
  for (let i = 0; i < 1000; i++) {
    flooder.send(text(`flood ${i}`, { clientMessageId: `flood-${i}`, requestId: `f-${i}` }))
    if (i % 50 === 49) await sleep(45)
  }
  const elapsedS = (performance.now() - started) / 1000
  const closed = await flooder.closedWithin(10_000)
  assert.equal(closed.code, 4029)
  await neighbourTalks

  const answers = flooder.pending().filter((frame) => frame.result !== undefined)
  const accepted = answers.filter((frame) => frame.result === 'success')
  const refused = answers.filter((frame) => frame.result === 'failed')
  assert.ok(refused.length > 0)
  assert.deepEqual(Object.keys(refused[0]!).sort(), ['code', 'command', 'reason', 'requestId', 'result'])
  assert.equal(refused[0]!.reason, 'Rate limit exceeded')
  assert.ok(refused.every((frame) => frame.code === 'RATE_LIMITED'))
  // At most the burst plus what the rate refilled while the flood lasted were stored; each one acknowledged was stored.
  const [row] = await app.db.select({ stored: count() }).from(messages).where(eq(messages.senderId, '4'))
  assert.ok(row!.stored <= burst + Math.ceil(perS * (elapsedS + 1)), `stored ${row!.stored} (burst ${burst}, ${perS}/s over ${elapsedS.toFixed(2)} s)`)
  assert.ok(row!.stored >= accepted.length)
  // Relative to the quiet latency of the same run (a loaded machine is slow for both), with a floor for
  // the timer and scheduling noise a quiet median of a millisecond or two cannot carry.
  const quietMedian = [...quiet].sort((a, b) => a - b)[2]!
  const bound = Math.max(FLOOD_LATENCY_FLOOR_MS, FLOOD_LATENCY_RATIO * quietMedian)
  assert.ok(Math.max(...latencies) < bound, `neighbour latencies ${latencies.map(Math.round).join(', ')} ms, quiet median ${quietMedian.toFixed(1)} ms, bound ${Math.round(bound)} ms`)
  neighbour.close()
})

test('failed logins count double, and the fifth closes the socket with 4029', async (t) => {
  const app = await build(t, db.database, { RATE_LIMIT_PER_S: 0.5, RATE_LIMIT_BURST: 4 })
  const client = await connect(app)
  const badLogin = { command: 'user_login', userId: 4, token: 'wrong', uuid: 'guess' }
  assert.equal((await client.request(badLogin)).code, 'INVALID_TOKEN')
  assert.equal((await client.request(badLogin)).code, 'INVALID_TOKEN')
  // Two frames sent, four tokens spent: the budget of four is gone.
  assert.equal((await client.request({ command: 'user_login', userId: 4, token: tokenFor(app, 4), uuid: 'guess' })).code, 'RATE_LIMITED')

  const generous = await build(t, db.database)
  const guesser = await connect(generous)
  for (let i = 0; i < 5; i++) assert.equal((await guesser.request(badLogin)).code, 'INVALID_TOKEN')
  assert.deepEqual(await guesser.closedWithin(), { code: 4029, reason: 'Too many failed logins' })
})

test('typing frames over their own budget are dropped without an answer and do not spend the command budget', async (t) => {
  const app = await build(t, db.database)
  const [client, buyer] = await loggedInAll(app, [4, 14])
  const { RATE_LIMIT_BURST: burst, RATE_LIMIT_PER_S: perS } = app.config
  const started = performance.now()
  // Alternating starts and stops: the 2 s throttle forwards every one of them, so what the buyer hears is
  // what the typing budget let through.
  for (let i = 0; i < 200; i++) client.send({ command: 'typing', roomId: 1, isTyping: i % 2 === 0 })
  const answer = await client.request(text('after typing'))
  const elapsedS = (performance.now() - started) / 1000
  assert.equal(answer.result, 'success', 'the command budget is untouched')
  assert.deepEqual((await receivedSoFar(client)).filter((frame) => frame.command === 'typing'), [], 'no answer to any typing frame')
  const forwarded = (await receivedSoFar(buyer)).filter((frame) => frame.command === 'typing').length
  const dropped = app.metrics.rateLimited.get('drop')
  assert.equal(forwarded + dropped, 200, `${forwarded} forwarded, ${dropped} dropped`)
  assert.ok(forwarded >= burst && forwarded <= burst + Math.ceil(perS * (elapsedS + 1)), `${forwarded} forwarded of 200 (burst ${burst})`)
  assert.equal(client.ws.readyState, client.ws.OPEN)
})

test('a member that stops reading is closed with 4030 while the room keeps flowing to the others, and memory stays bounded', async (t) => {
  const app = await build(t, db.database, { RATE_LIMIT_PER_S: 100_000, RATE_LIMIT_BURST: 100_000, MAX_BUFFERED_BYTES: 256 * 1024 })
  const url = await listen(app)
  const sender = await loggedIn(app, 4, 'sender', { url })
  const fastReader = await loggedIn(app, 4, 'reader', { url })
  const slow = await loggedIn(app, 14, 'slow', { url })
  const slowConn = [...app.sessions.devices('14')][0]!
  ;(slow.ws as unknown as { _socket: { pause: () => void, resume: () => void } })._socket.pause()

  const heapBefore = process.memoryUsage().heapUsed
  const body = 'đ'.repeat(3900)
  const total = 2500
  let received = 0
  // Only room messages count: presence events of the other logins arrive on the same socket.
  fastReader.ws.on('message', (data) => { if (data.toString().startsWith('{"command":"user_message"')) received++ })
  let maxBuffered = 0
  for (let sent = 0; sent < total; sent += 100) {
    const batch = Array.from({ length: 100 }, (_, i) => sender.request(text(`${sent + i} ${body}`), 10_000))
    for (const answer of await Promise.all(batch)) assert.equal(answer.result, 'success')
    maxBuffered = Math.max(maxBuffered, slowConn.socket.bufferedAmount)
    if (slowConn.closed) break
  }
  for (let i = 0; i < 100 && !slowConn.closed; i++) {
    await sender.request(text(`more ${i} ${body}`))
    maxBuffered = Math.max(maxBuffered, slowConn.socket.bufferedAmount)
  }
  assert.equal(slowConn.closed, true, 'the slow reader was closed')
  // The fast reader got every message, also those sent after the slow one fell behind.
  const storedCount = (await app.db.select({ stored: count() }).from(messages).where(and(eq(messages.roomId, '1'), eq(messages.senderId, '4'))))[0]!.stored
  for (let i = 0; i < 200 && received < storedCount; i++) await sleep(20)
  assert.equal(received, storedCount)
  // The server held at most about the limit for it (plus the frame that crossed it), never the whole backlog.
  assert.ok(maxBuffered < 256 * 1024 + 64 * 1024, `buffered ${maxBuffered}`)
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 100 * 1024 * 1024)
  ;(slow.ws as unknown as { _socket: { resume: () => void } })._socket.resume()
  assert.equal((await slow.closedWithin()).code, 4030)
  sender.close()
  fastReader.close()
})
