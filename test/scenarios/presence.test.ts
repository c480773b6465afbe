import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import { users } from '../../src/db/schema.js'
import { build, loggedInReal, listen, useDatabase } from '../helpers.js'

const db = useDatabase()

test('presence over real sockets: first device online, last device offline with lastSeenAt, strangers hear nothing', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  const agentDevice = await loggedInReal(app, url, 4, 'agent-phone')
  const stranger = await loggedInReal(app, url, 15, 'stranger-phone')

  const phone = await loggedInReal(app, url, 14, 'phone')
  assert.deepEqual(await agentDevice.next((f) => f.command === 'presence'), { command: 'presence', userId: '14', online: true, lastSeenAt: null })
  // A second device of a user already online says nothing new.
  const laptop = await loggedInReal(app, url, 14, 'laptop')
  phone.close()
  await phone.closed
  assert.deepEqual(await agentDevice.settle(), [])

  const before = Date.now()
  laptop.close()
  const offline = await agentDevice.next((f) => f.command === 'presence')
  assert.equal(offline.userId, '14')
  assert.equal(offline.online, false)
  assert.match(offline.lastSeenAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.ok(Date.parse(offline.lastSeenAt) >= before - 1000)
  const [stored] = await app.db.select({ lastSeenAt: users.lastSeenAt }).from(users).where(eq(users.id, '14'))
  assert.equal(stored?.lastSeenAt?.toISOString(), offline.lastSeenAt)

  // 15 shares no room with 14 or 4: none of it reached them.
  assert.deepEqual(await stranger.settle(), [])
  assert.deepEqual((await agentDevice.request({ command: 'presence_query', userIds: [14, 15] })).presence, [
    { userId: '14', online: false, lastSeenAt: offline.lastSeenAt }
  ])
})

test('a quick reconnect of the last device ends online, never offline last', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  const agentDevice = await loggedInReal(app, url, 4, 'agent-phone')
  const phone = await loggedInReal(app, url, 14, 'phone')
  await agentDevice.next((f) => f.command === 'presence')
  phone.close()
  await phone.closed
  await loggedInReal(app, url, 14, 'phone')
  const seen = [...await agentDevice.settle(300)].filter((f) => f.command === 'presence')
  assert.ok(seen.length <= 2, JSON.stringify(seen))
  assert.equal(seen.at(-1)?.online ?? true, true)
  assert.deepEqual((await agentDevice.request({ command: 'presence_query', userIds: [14] })).presence[0].online, true)
})
