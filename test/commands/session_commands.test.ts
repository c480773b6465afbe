import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, deviceForgotten, listen, loggedIn, loggedInAll, loggedInReal, presenceSettled, receivedSoFar, sendInOneWrite, tokenFor, useDatabase, type Frame } from '../helpers.js'

const db = useDatabase()

test('ping answers pong with the server time, before login too, echoing requestId', async (t) => {
  const app = await build(t, db.database)
  const anonymous = await connect(app)
  const before = Date.now()
  const pong = await anonymous.request({ command: 'ping', requestId: 'p1' })
  assert.deepEqual(Object.keys(pong).sort(), ['command', 'requestId', 'serverTime'])
  assert.equal(pong.command, 'pong')
  assert.equal(pong.requestId, 'p1')
  assert.match(pong.serverTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.ok(Math.abs(Date.parse(pong.serverTime) - before) < 5000)
  const member = await loggedIn(app, 4)
  assert.equal((await member.request({ command: 'ping' })).command, 'pong')
})

test('user_logout answers success, then closes with 1000; the user\'s other devices stay', async (t) => {
  const app = await build(t, db.database)
  // Real sockets: over injectWS the server may not see the close of a socket for a while.
  const [phone, laptop, buyer] = await loggedInAll(app, [[4, 'phone'], [4, 'laptop'], 14], { url: await listen(app) })
  const answer = await phone.request({ command: 'user_logout', requestId: 'bye' })
  assert.deepEqual(answer, { command: 'user_logout', result: 'success', requestId: 'bye' })
  assert.equal((await phone.closedWithin()).code, 1000)
  // The agent is still online on the laptop: the buyer, who shares a room with them, hears nothing.
  await deviceForgotten(app, 4, 'phone')
  assert.deepEqual(await receivedSoFar(buyer, app), [])
  await buyer.request({ command: 'user_message', roomId: 1, content: 'còn ai không?', messageType: 'TEXT' })
  assert.equal((await laptop.next((frame) => frame.command === 'user_message')).message.content, 'còn ai không?')
  assert.equal((await (await connect(app)).request({ command: 'user_logout' })).code, 'NOT_AUTHENTICATED')
})

test('token_refresh with a new token of the same user answers the new expiresAt', async (t) => {
  const app = await build(t, db.database)
  const client = await loggedIn(app, 4)
  const answer = await client.request({ command: 'token_refresh', token: tokenFor(app, 4, '2h'), requestId: 'r' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.requestId, 'r')
  const expiresIn = Date.parse(answer.expiresAt) - Date.now()
  assert.ok(expiresIn > 7100_000 && expiresIn <= 7200_000, answer.expiresAt)
  assert.match(answer.expiresAt, /\.\d{3}Z$/)
})

test('token_refresh refuses another user\'s token, a bad token and an expired one', async (t) => {
  const app = await build(t, db.database)
  const client = await loggedIn(app, 4)
  assert.deepEqual(await client.request({ command: 'token_refresh', token: tokenFor(app, 14) }),
    { command: 'token_refresh', result: 'failed', reason: 'Not allowed', code: 'FORBIDDEN' })
  assert.equal((await client.request({ command: 'token_refresh', token: 'garbage' })).reason, 'Invalid token')
  assert.equal((await client.request({ command: 'token_refresh', token: tokenFor(app, 4, -60_000) })).reason, 'Token expired')
  assert.equal((await client.request({ command: 'token_refresh' })).code, 'MISSING_FIELDS')
  assert.equal((await (await connect(app)).request({ command: 'token_refresh', token: tokenFor(app, 4) })).code, 'NOT_AUTHENTICATED')
  // Still the same session: it keeps working.
  assert.equal((await client.request({ command: 'user_message', roomId: 1, content: 'ok', messageType: 'TEXT' })).result, 'success')
})

/** Lifetime of the short tokens: fast-jwt rounds exp down to a second, so they live 3-4 s. */
const SHORT_LIFE_MS = 4000

test('a token that expires without refresh ends the session with session_expired and 4003', async (t) => {
  const app = await build(t, db.database, { JWT_CLOCK_TOLERANCE_S: 0 })
  const client = await connect(app)
  // 3-4 s to live (exp is rounded down to a second): a login slowed by a loaded machine is still in time.
  const login = await client.request({ command: 'user_login', userId: 4, token: tokenFor(app, 4, SHORT_LIFE_MS), uuid: 'short' })
  assert.equal(login.result, 'success')
  assert.deepEqual(await client.next((frame) => frame.command === 'session_expired', SHORT_LIFE_MS * 2), { command: 'session_expired' })
  assert.equal((await client.closedWithin()).code, 4003)
})

test('a refresh before expiry keeps the session open past the old token\'s exp', async (t) => {
  const app = await build(t, db.database, { JWT_CLOCK_TOLERANCE_S: 0 })
  const client = await connect(app)
  const token = tokenFor(app, 4, SHORT_LIFE_MS)
  const login = await client.request({ command: 'user_login', userId: 4, token, uuid: 'short' })
  assert.equal(login.result, 'success')
  assert.equal((await client.request({ command: 'token_refresh', token: tokenFor(app, 4, '1h') })).result, 'success')
  // Past the old token's exp (with a second of timer slack), then a ping round trip: no session_expired.
  const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 + 1000 - Date.now())))
  assert.deepEqual(await receivedSoFar(client), [])
  assert.equal((await client.request({ command: 'ping' })).command, 'pong')
})

test('nothing sent after user_logout runs, even in the same TCP write: the message is neither stored nor broadcast', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  const agent = await loggedInReal(app, url, 4, 'phone')
  const buyer = await loggedInReal(app, url, 14, 'buyer-phone')
  await presenceSettled(app, [agent, buyer])
  sendInOneWrite(agent, [
    { command: 'user_logout', requestId: 'bye' },
    { command: 'user_message', roomId: 1, content: 'after logout', messageType: 'TEXT', requestId: 'late' },
    { command: 'room_leave', roomId: 1, requestId: 'late-leave' }
  ])
  assert.deepEqual(await agent.next(), { command: 'user_logout', result: 'success', requestId: 'bye' })
  assert.equal((await agent.closedWithin()).code, 1000)
  assert.deepEqual(agent.pending(), [], 'no answer after the logout')
  // Had anything run, it ran before the close: the room and the buyer's socket show it by now.
  const history = await buyer.request({ command: 'room_history', roomId: 1 })
  assert.deepEqual(history.messages, [])
  // The agent's only device went: the buyer is told so, and of nothing else.
  await buyer.presence(4, false)
  assert.deepEqual(buyer.pending(), [])
  const [room] = (await buyer.request({ command: 'room_list' })).rooms
  assert.ok(room.members.some((member: Frame) => member.userId === '4'), 'the agent is still a member')
  buyer.close()
})
