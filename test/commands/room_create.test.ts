import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, listingRooms, loggedInAll, receivedSoFar, useDatabase } from '../helpers.js'

const db = useDatabase()

const agent = { userId: '4', fullname: 'Nguyễn Văn A', avatar: 'https://example.com/avatar.jpg' }
const buyer15 = { userId: '15', fullname: 'Lê Văn C', avatar: null }

test('a buyer contacting a listing gets a room with the listing agent; the agent is told, others are not', async (t) => {
  const app = await build(t, db.database)
  const [buyer, buyerTablet, agentDevice, outsider] = await loggedInAll(app, [[15, 'phone'], [15, 'tablet'], 4, 14])

  const answer = await buyer.request({ command: 'room_create', listingId: 123, requestId: 'r1' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.requestId, 'r1')
  const room = answer.room
  assert.match(room.roomId, /^[0-9]+$/)
  assert.notEqual(room.roomId, '1')
  assert.deepEqual(room, {
    roomId: room.roomId,
    listingId: '123',
    title: 'Bán nhà mặt phố Hà Nội',
    members: [{ ...agent, role: 'MEMBER' }, { ...buyer15, role: 'OWNER' }]
  })
  assert.deepEqual(await listingRooms(app, '15'), [room.roomId])

  assert.deepEqual(await agentDevice.next((f) => f.command === 'room_created'), { command: 'room_created', room })
  assert.deepEqual(await buyerTablet.next((f) => f.command === 'room_created'), { command: 'room_created', room })
  assert.deepEqual(await receivedSoFar(outsider), [])
  assert.deepEqual(await receivedSoFar(buyer), [])

  // Both can talk in it at once.
  const sent = await buyer.request({ command: 'user_message', roomId: room.roomId, content: 'Nhà còn không?', messageType: 'TEXT' })
  assert.equal(sent.result, 'success')
  assert.equal((await agentDevice.next((f) => f.command === 'user_message')).message.content, 'Nhà còn không?')
})

test('contacting the same listing again returns the existing room and announces nothing', async (t) => {
  const app = await build(t, db.database)
  const [buyer, agentDevice] = await loggedInAll(app, [14, 4])
  const answer = await buyer.request({ command: 'room_create', listingId: '123' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.room.roomId, '1')
  assert.equal(answer.room.title, 'Bán nhà mặt phố Hà Nội')
  assert.deepEqual(await receivedSoFar(agentDevice), [])
  assert.deepEqual(await listingRooms(app, '14'), ['1'])
})

test('a buyer who left the listing room comes back into it, and its members are told', async (t) => {
  const app = await build(t, db.database)
  const [buyer, agentDevice] = await loggedInAll(app, [14, 4])
  assert.equal((await buyer.request({ command: 'room_leave', roomId: 1 })).result, 'success')
  await agentDevice.next((f) => f.command === 'room_member_removed')
  const answer = await buyer.request({ command: 'room_create', listingId: 123 })
  assert.equal(answer.room.roomId, '1')
  assert.deepEqual(answer.room.members.map((m: { userId: string }) => m.userId).sort(), ['14', '4'])
  const added = await agentDevice.next((f) => f.command === 'room_member_added')
  assert.deepEqual(added, { command: 'room_member_added', roomId: '1', userId: '14', addedBy: '14', room: answer.room })
})

test('the agent contacting their own listing, or an unknown listing, is not allowed', async (t) => {
  const app = await build(t, db.database)
  const [agentDevice, buyer] = await loggedInAll(app, [4, 15])
  for (const [client, listingId] of [[agentDevice, 123], [buyer, 999_999]] as const) {
    const answer = await client.request({ command: 'room_create', listingId })
    assert.deepEqual(answer, { command: 'room_create', result: 'failed', reason: 'Not allowed', code: 'FORBIDDEN' })
  }
  assert.deepEqual(await receivedSoFar(agentDevice), [])
})

test('a group room makes the caller OWNER and the others MEMBER, de-duplicated, and tells all of them', async (t) => {
  const app = await build(t, db.database)
  const [owner, agentDevice, other] = await loggedInAll(app, [14, 4, 15])

  const answer = await owner.request({ command: 'room_create', memberIds: [4, '15', '4', 14], title: '  Nhóm xem nhà  ' })
  assert.equal(answer.result, 'success')
  const { room } = answer
  assert.equal(room.listingId, null)
  assert.equal(room.title, 'Nhóm xem nhà')
  assert.deepEqual(room.members.map((m: { userId: string, role: string }) => `${m.userId}:${m.role}`).sort(), ['14:OWNER', '15:MEMBER', '4:MEMBER'])
  assert.deepEqual(room.members.find((m: { userId: string }) => m.userId === '4'), { ...agent, role: 'MEMBER' })
  assert.deepEqual(await agentDevice.next((f) => f.command === 'room_created'), { command: 'room_created', room })
  assert.deepEqual(await other.next((f) => f.command === 'room_created'), { command: 'room_created', room })
  assert.deepEqual(await receivedSoFar(owner), [])
})

test('room_create refuses unknown users, both forms at once, neither form, too many ids and bad titles', async (t) => {
  const app = await build(t, db.database)
  const [owner, agentDevice] = await loggedInAll(app, [14, 4])

  const unknown = await owner.request({ command: 'room_create', memberIds: [4, 777], title: 'x' })
  assert.deepEqual(unknown, { command: 'room_create', result: 'failed', reason: 'User not found', code: 'USER_NOT_FOUND', errors: [{ path: '/memberIds/1', message: 'names no user' }] })

  const both = await owner.request({ command: 'room_create', listingId: 123, memberIds: [4] })
  assert.equal(both.code, 'INVALID_FORMAT')
  assert.equal(both.reason, 'Invalid message format')

  const neither = await owner.request({ command: 'room_create', title: 'x' })
  assert.equal(neither.code, 'MISSING_FIELDS')
  assert.equal(neither.reason, 'Missing required fields')

  const tooMany = await owner.request({ command: 'room_create', memberIds: Array.from({ length: 101 }, (_, i) => i + 1) })
  assert.equal(tooMany.code, 'INVALID_FORMAT')

  const badId = await owner.request({ command: 'room_create', memberIds: ['4x'] })
  assert.equal(badId.code, 'INVALID_FORMAT')

  const longTitle = await owner.request({ command: 'room_create', memberIds: [4], title: 'a'.repeat(201) })
  assert.deepEqual(longTitle.errors, [{ path: '/title', message: 'must be at most 200 characters' }])

  assert.deepEqual(await receivedSoFar(agentDevice), [])
})

test('room_create needs a login', async (t) => {
  const app = await build(t, db.database)
  const client = await connect(app)
  const answer = await client.request({ command: 'room_create', listingId: 123 })
  assert.deepEqual(answer, { command: 'room_create', result: 'failed', reason: 'Not authenticated', code: 'NOT_AUTHENTICATED' })
})
