import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq, inArray } from 'drizzle-orm'
import { users } from '../../src/db/schema.js'
import { addRoom } from '../conversation.js'
import type { FastifyInstance } from 'fastify'
import { build, connect, loggedIn, loggedInReal, listen, receivedSoFar, useDatabase, type Frame, type TestClient } from '../helpers.js'

const db = useDatabase()

/** The user whose comings and goings mark a place in a watcher's stream of presence events. */
const MARKER = '17'

/** Makes MARKER a user sharing a room (900) with `watcherId`. */
async function addMarker (app: FastifyInstance, watcherId: string): Promise<void> {
  await app.db.insert(users).values({ id: MARKER, fullname: 'Marker' })
  await addRoom(app, '900', { [watcherId]: 'OWNER', [MARKER]: 'MEMBER' })
}

/**
 * The presence events `watcher` received before a marker: MARKER logs in and out, and the presence work
 * of one node runs in order, so every change queued before it reaches the watcher before MARKER's
 * offline. Answers the other events, in order (no fixed sleep: a slow machine only takes longer).
 */
async function presenceBeforeMarker (app: FastifyInstance, url: string, watcher: TestClient): Promise<Frame[]> {
  const device = await loggedInReal(app, url, MARKER, `marker-${Date.now()}`)
  device.close()
  const before: Frame[] = []
  for (;;) {
    const event = await watcher.next((f) => f.command === 'presence')
    if (event.userId === MARKER && event.online === false) return before
    if (event.userId !== MARKER) before.push(event)
  }
}

test('presence over real sockets: first device online, last device offline with lastSeenAt, strangers hear nothing', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  await addMarker(app, '4')
  const agentDevice = await loggedInReal(app, url, 4, 'agent-phone')
  const stranger = await loggedInReal(app, url, 15, 'stranger-phone')

  const phone = await loggedInReal(app, url, 14, 'phone')
  assert.deepEqual(await agentDevice.next((f) => f.command === 'presence'), { command: 'presence', userId: '14', online: true, lastSeenAt: null })
  // A second device of a user already online says nothing new.
  const laptop = await loggedInReal(app, url, 14, 'laptop')
  phone.close()
  await phone.closedWithin()
  assert.deepEqual(await presenceBeforeMarker(app, url, agentDevice), [], 'closing one of two devices says nothing')

  const before = Date.now()
  laptop.close()
  await laptop.closedWithin()
  const [offline, ...more] = await presenceBeforeMarker(app, url, agentDevice)
  assert.deepEqual(more, [], 'the last device going is said once')
  assert.ok(offline !== undefined, 'the last device going is said')
  assert.equal(offline.userId, '14')
  assert.equal(offline.online, false)
  assert.match(offline.lastSeenAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.ok(Date.parse(offline.lastSeenAt) >= before - 1000)
  const [stored] = await app.db.select({ lastSeenAt: users.lastSeenAt }).from(users).where(eq(users.id, '14'))
  assert.equal(stored?.lastSeenAt?.toISOString(), offline.lastSeenAt)

  // 15 shares no room with 14 or 4: none of it reached them.
  assert.deepEqual(await receivedSoFar(stranger), [])
  assert.deepEqual((await agentDevice.request({ command: 'presence_query', userIds: [14, 15] })).presence, [
    { userId: '14', online: false, lastSeenAt: offline.lastSeenAt }
  ])
})

test('a quick reconnect of the last device ends online, never offline last', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  await addMarker(app, '4')
  const agentDevice = await loggedInReal(app, url, 4, 'agent-phone')
  const phone = await loggedInReal(app, url, 14, 'phone')
  await agentDevice.next((f) => f.command === 'presence')
  phone.close()
  await phone.closedWithin()
  await loggedInReal(app, url, 14, 'phone')
  // The coming back is always said; the going away may be left out (it was over by the time it was told).
  const seen = (await presenceBeforeMarker(app, url, agentDevice)).map((f) => [f.userId, f.online])
  assert.ok(JSON.stringify(seen) === JSON.stringify([['14', true]]) || JSON.stringify(seen) === JSON.stringify([['14', false], ['14', true]]), JSON.stringify(seen))
  assert.deepEqual((await agentDevice.request({ command: 'presence_query', userIds: [14] })).presence[0].online, true)
})

test('a burst of logins and disconnects: each peer hears each change once, and every last-seen is stored as announced', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  const pairs = 30
  const ids = Array.from({ length: 2 * pairs }, (_, i) => String(1001 + i))
  await app.db.insert(users).values(ids.map((id) => ({ id, fullname: `User ${id}` })))
  for (let pair = 0; pair < pairs; pair++) await addRoom(app, String(101 + pair), { [ids[2 * pair]!]: 'OWNER', [ids[2 * pair + 1]!]: 'MEMBER' })
  const stayers = await Promise.all(ids.filter((_, i) => i % 2 === 0).map((id) => loggedIn(app, id)))
  const leavers = await Promise.all(ids.filter((_, i) => i % 2 === 1).map((id) => loggedInReal(app, url, id, `phone-${id}`)))
  for (const [pair, stayer] of stayers.entries()) {
    assert.deepEqual(await stayer.next((f) => f.command === 'presence'), { command: 'presence', userId: ids[2 * pair + 1], online: true, lastSeenAt: null })
  }

  for (const leaver of leavers) leaver.close()
  const offline = await Promise.all(stayers.map((stayer) => stayer.next((f) => f.command === 'presence')))
  const stored = new Map((await app.db.select({ id: users.id, lastSeenAt: users.lastSeenAt }).from(users).where(inArray(users.id, ids)))
    .map((row) => [row.id, row.lastSeenAt?.toISOString()]))
  for (const [pair, event] of offline.entries()) {
    const peer = ids[2 * pair + 1]!
    assert.equal(event.userId, peer)
    assert.equal(event.online, false)
    assert.equal(event.lastSeenAt, stored.get(peer))
    assert.equal(stored.get(ids[2 * pair]!), undefined, 'a user still online keeps no last-seen')
  }
  for (const stayer of stayers) assert.deepEqual((await receivedSoFar(stayer)).filter((f) => f.command === 'presence'), [])
})

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
  assert.deepEqual(await receivedSoFar(stranger, app), [])
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

test('presence is pushed only through rooms up to PRESENCE_MAX_ROOM_MEMBERS; presence_query still answers', async (t) => {
  const app = await build(t, db.database, { PRESENCE_MAX_ROOM_MEMBERS: 2 })
  const agentDevice = await loggedIn(app, 4)
  // A three-member group: over the limit of 2, so 15's comings and goings are not pushed through it.
  const created = await agentDevice.request({ command: 'room_create', memberIds: [14, 15], title: 'Nhóm xem nhà' })
  assert.equal(created.result, 'success')
  const stranger = await loggedIn(app, 15)
  const buyer = await loggedIn(app, 14)
  // 14 shares the two-member room 1 with 4: that presence is pushed, and it was queued after 15's.
  assert.deepEqual(await agentDevice.next((f) => f.command === 'presence' && f.userId === '14'), { command: 'presence', userId: '14', online: true, lastSeenAt: null })
  const seen = (await receivedSoFar(agentDevice)).filter((f) => f.command === 'presence')
  assert.deepEqual(seen, [], 'nothing pushed about 15, who shares only the big room with 4')
  assert.deepEqual((await agentDevice.request({ command: 'presence_query', userIds: [15] })).presence, [{ userId: '15', online: true, lastSeenAt: null }])
  stranger.close()
  buyer.close()
})
