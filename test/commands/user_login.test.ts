import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, loggedIn, tokenFor, useDatabase } from '../helpers.js'

const db = useDatabase()

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
    }
  })
})

test('a login that reuses a device uuid takes over: the old socket gets session_replaced and 4002', async (t) => {
  const app = await build(t, db.database)
  const first = await loggedIn(app, 4, 'phone')
  const second = await loggedIn(app, 4, 'phone')
  assert.deepEqual(await first.next(), { command: 'session_replaced' })
  assert.equal((await first.closed).code, 4002)
  assert.equal((await second.request({ command: 'user_message', roomId: 1, content: 'still here', messageType: 'TEXT' })).result, 'success')
})
