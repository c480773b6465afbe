import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import { users } from '../../src/db/schema.js'
import { build, connect, loggedIn, useDatabase, withoutPresence } from '../helpers.js'

const db = useDatabase()

test('presence_query answers for users sharing a room and for the caller; the rest are left out', async (t) => {
  const app = await build(t, db.database)
  const seen = new Date('2024-12-18T10:20:30.123Z')
  await app.db.update(users).set({ lastSeenAt: seen }).where(eq(users.id, '14'))
  const agentDevice = await loggedIn(app, 4)
  const stranger = await loggedIn(app, 15)

  const answer = await agentDevice.request({ command: 'presence_query', userIds: [14, '15', '4', 999, '14'], requestId: 'q' })
  assert.deepEqual(answer, {
    command: 'presence_query',
    result: 'success',
    requestId: 'q',
    presence: [
      { userId: '14', online: false, lastSeenAt: '2024-12-18T10:20:30.123Z' },
      { userId: '4', online: true, lastSeenAt: null }
    ]
  })

  // 14 comes online: the same question now says so.
  await loggedIn(app, 14)
  const again = await agentDevice.request({ command: 'presence_query', userIds: [14] })
  assert.deepEqual(again.presence, [{ userId: '14', online: true, lastSeenAt: null }])

  // 15 shares no room with anyone: nobody is revealed to them, not even whether a user exists.
  assert.deepEqual((await stranger.request({ command: 'presence_query', userIds: [4, 14, 16, 999] })).presence, [])
  assert.deepEqual(withoutPresence(await stranger.settle(50)), [])
})

test('a user who left a room no longer sees its members, nor they them', async (t) => {
  const app = await build(t, db.database)
  const buyer = await loggedIn(app, 14)
  const agentDevice = await loggedIn(app, 4)
  await buyer.request({ command: 'room_leave', roomId: 1 })
  assert.deepEqual((await buyer.request({ command: 'presence_query', userIds: [4] })).presence, [])
  assert.deepEqual((await agentDevice.request({ command: 'presence_query', userIds: [14] })).presence, [])
})

test('presence_query refuses more than 100 ids, bad ids, a missing list, and anonymous sockets', async (t) => {
  const app = await build(t, db.database)
  const client = await loggedIn(app, 4)
  const tooMany = await client.request({ command: 'presence_query', userIds: Array.from({ length: 101 }, (_, i) => i + 1) })
  assert.equal(tooMany.reason, 'Invalid message format')
  assert.equal(tooMany.code, 'INVALID_FORMAT')
  assert.equal((await client.request({ command: 'presence_query', userIds: ['x'] })).code, 'INVALID_FORMAT')
  const missing = await client.request({ command: 'presence_query' })
  assert.deepEqual({ reason: missing.reason, code: missing.code }, { reason: 'Missing required fields', code: 'MISSING_FIELDS' })
  assert.deepEqual((await client.request({ command: 'presence_query', userIds: [] })).presence, [])
  const anonymous = await connect(app)
  assert.equal((await anonymous.request({ command: 'presence_query', userIds: [4] })).code, 'NOT_AUTHENTICATED')
})
