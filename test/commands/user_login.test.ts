import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, failure, loggedIn, receivedSoFar, signToken, textMessage, tokenFor, unsignedToken, useDatabase } from '../helpers.js'
import { users } from '../../src/db/schema.js'

const db = useDatabase()
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600

test('the seed login answers with the user object exactly as the seed shows', async (t) => {
  const app = await build(t, db.database)
  const client = await connect(app)
  const answer = await client.request({ command: 'user_login', userId: 4, token: tokenFor(app, 4), uuid: 'device-1' })
  assert.deepEqual(answer, {
    command: 'user_login',
    result: 'success',
    user: {
      userId: '4',
      fullname: 'Nguyễn Văn A',
      email: 'user@example.com',
      phone: '+84123456789',
      avatar: 'https://example.com/avatar.jpg',
      primaryRole: 'AGENT',
      status: 'ACTIVE'
    },
    // Beside the seed's user object: what may be uploaded (GET /uploads/config).
    uploads: app.attachments.clientConfig
  })
})

test('the seed walkthrough logs in user 14 on its own device, with the user id as a string', async (t) => {
  const app = await build(t, db.database)
  const client = await connect(app)
  const answer = await client.request({ command: 'user_login', userId: 14, token: tokenFor(app, 14), uuid: 'device-2', requestId: 'login-14' })
  assert.deepEqual(answer, {
    command: 'user_login',
    result: 'success',
    requestId: 'login-14',
    user: {
      userId: '14',
      fullname: 'Trần Thị B',
      email: 'tran.thi.b@example.com',
      phone: '+84987654321',
      avatar: 'https://example.com/avatar-b.jpg',
      primaryRole: 'USER',
      status: 'ACTIVE'
    },
    uploads: app.attachments.clientConfig
  })
})

test('a login that reuses a device uuid takes over: the old socket gets session_replaced and 4002', async (t) => {
  const app = await build(t, db.database)
  const first = await loggedIn(app, 4, 'phone')
  const second = await loggedIn(app, 4, 'phone')
  assert.deepEqual(await first.next(), { command: 'session_replaced' })
  assert.equal((await first.closedWithin()).code, 4002)
  assert.equal((await second.request({ command: 'user_message', roomId: 1, content: 'still here', messageType: 'TEXT' })).result, 'success')
})

test('tokens that must not open a session are refused with "Invalid token"', async (t) => {
  const app = await build(t, db.database)
  const attacks: Array<[string, string, number]> = [
    ['signed with another secret', signToken({ sub: '4', exp: inAnHour() }, { key: 'another-secret-of-sufficient-length-000' }), 4],
    ['alg none', unsignedToken({ sub: '4', exp: inAnHour() }), 4],
    ['another user\'s token', tokenFor(app, 14), 4],
    ['no exp claim', signToken({ sub: '4' }), 4],
    ['not a JWT at all', 'not.a.jwt', 4],
    ['empty', '', 4]
  ]
  for (const [name, token, userId] of attacks) {
    // A fresh socket each time: five failed logins on one socket close it.
    const client = await connect(app)
    const answer = await client.request({ command: 'user_login', userId, token, uuid: 'attacker', requestId: name })
    assert.deepEqual(answer, failure('user_login', 'Invalid token', 'INVALID_TOKEN', { requestId: name }), name)
    assert.deepEqual(await client.request(textMessage('sneaking in')), failure('user_message', 'Not authenticated', 'NOT_AUTHENTICATED'), name)
  }
})

test('an expired token is "Token expired"; a numeric userId claim is as good as a string one', async (t) => {
  const app = await build(t, db.database, { JWT_CLOCK_TOLERANCE_S: 0 })
  const client = await connect(app)
  const expired = signToken({ sub: '4', exp: Math.floor(Date.now() / 1000) - 10 })
  assert.deepEqual(await client.request({ command: 'user_login', userId: 4, token: expired, uuid: 'd' }), failure('user_login', 'Token expired', 'TOKEN_EXPIRED'))
  const numeric = signToken({ userId: 4, exp: inAnHour() })
  const answer = await client.request({ command: 'user_login', userId: 4, token: numeric, uuid: 'd' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.user.userId, '4')
})

test('with JWT_ISSUER and JWT_AUDIENCE configured, a token from another issuer or for another audience is refused', async (t) => {
  const app = await build(t, db.database, { JWT_ISSUER: 'https://auth.bdsthat.com.vn', JWT_AUDIENCE: 'chat' })
  const cases: Array<[string, string]> = [
    ['wrong issuer', signToken({ sub: '4', exp: inAnHour(), iss: 'https://evil.example', aud: 'chat' })],
    ['wrong audience', signToken({ sub: '4', exp: inAnHour(), iss: 'https://auth.bdsthat.com.vn', aud: 'billing' })],
    ['neither', signToken({ sub: '4', exp: inAnHour() })]
  ]
  for (const [name, token] of cases) {
    const client = await connect(app)
    assert.deepEqual(await client.request({ command: 'user_login', userId: 4, token, uuid: 'd' }), failure('user_login', 'Invalid token', 'INVALID_TOKEN'), name)
  }
  const client = await connect(app)
  const right = signToken({ sub: '4', exp: inAnHour(), iss: 'https://auth.bdsthat.com.vn', aud: 'chat' })
  assert.equal((await client.request({ command: 'user_login', userId: 4, token: right, uuid: 'd' })).result, 'success')
})

test('banned and inactive accounts are refused with "Account is not active"; an unknown user with "User not found"', async (t) => {
  const app = await build(t, db.database)
  await app.db.insert(users).values({ id: '17', fullname: 'Võ Thị E', status: 'INACTIVE' })
  for (const userId of [16, 17]) {
    const client = await connect(app)
    assert.deepEqual(
      await client.request({ command: 'user_login', userId, token: tokenFor(app, userId), uuid: 'd' }),
      failure('user_login', 'Account is not active', 'ACCOUNT_INACTIVE'), `user ${userId}`)
  }
  const client = await connect(app)
  assert.deepEqual(
    await client.request({ command: 'user_login', userId: 999, token: tokenFor(app, 999), uuid: 'd' }),
    failure('user_login', 'User not found', 'USER_NOT_FOUND'))
})

test('logging in as another user on an authenticated socket is "Not allowed"; the same user refreshes', async (t) => {
  const app = await build(t, db.database)
  const client = await loggedIn(app, 4, 'phone')
  assert.deepEqual(
    await client.request({ command: 'user_login', userId: 14, token: tokenFor(app, 14), uuid: 'phone' }),
    failure('user_login', 'Not allowed', 'FORBIDDEN'))
  const again = await client.request({ command: 'user_login', userId: 4, token: tokenFor(app, 4), uuid: 'phone' })
  assert.equal(again.result, 'success')
  // Still user 4: the message goes out with 4 as its sender, and nobody was replaced.
  const sent = await client.request(textMessage('vẫn là tôi'))
  assert.equal(sent.message.sender.userId, '4')
  assert.deepEqual(await receivedSoFar(client), [])
})

test('a request without uuid is "Missing required fields" naming the field', async (t) => {
  const app = await build(t, db.database)
  const client = await connect(app)
  assert.deepEqual(
    await client.request({ command: 'user_login', userId: 4, token: tokenFor(app, 4) }),
    failure('user_login', 'Missing required fields', 'MISSING_FIELDS', { errors: [{ path: '/uuid', message: 'is required' }] }))
})

test('a socket that does not log in within AUTH_TIMEOUT_MS is closed with 4001; a logged-in one stays', async (t) => {
  const app = await build(t, db.database, { AUTH_TIMEOUT_MS: 800 })
  const idle = await connect(app)
  const member = await loggedIn(app, 4)
  assert.equal((await idle.closedWithin()).code, 4001)
  await receivedSoFar(member)
  assert.equal((await member.request(textMessage('vẫn mở'))).result, 'success')
})

test('when the token expires the socket gets session_expired and is closed with 4003', async (t) => {
  const app = await build(t, db.database, { JWT_CLOCK_TOLERANCE_S: 0 })
  const client = await connect(app)
  // fast-jwt counts expiresIn in milliseconds and rounds exp down to a second: this one lasts 3-4 s, so a
  // login slowed by a loaded machine is still in time.
  const answer = await client.request({ command: 'user_login', userId: 14, token: tokenFor(app, 14, 4000), uuid: 'tablet' })
  assert.equal(answer.result, 'success')
  assert.deepEqual(await client.next(() => true, 8000), { command: 'session_expired' })
  assert.equal((await client.closedWithin()).code, 4003)
})

test('user_login and user_message sent back to back are answered in order', async (t) => {
  const app = await build(t, db.database)
  const client = await connect(app)
  client.send({ command: 'user_login', userId: 4, token: tokenFor(app, 4), uuid: 'wscat', requestId: 'a' })
  client.send(textMessage('ngay sau khi đăng nhập', { requestId: 'b' }))
  const first = await client.next()
  const second = await client.next()
  assert.deepEqual([first.command, first.result, first.requestId], ['user_login', 'success', 'a'])
  assert.deepEqual([second.command, second.result, second.requestId], ['user_message', 'success', 'b'])
  assert.equal(second.message.content, 'ngay sau khi đăng nhập')
})

test('five failed logins on one socket close it with 4029', async (t) => {
  const app = await build(t, db.database)
  const client = await connect(app)
  for (let attempt = 1; attempt <= 5; attempt++) {
    const answer = await client.request({ command: 'user_login', userId: 4, token: `guess-${attempt}`, uuid: 'd' })
    assert.equal(answer.code, 'INVALID_TOKEN')
  }
  assert.equal((await client.closedWithin()).code, 4029)
})
