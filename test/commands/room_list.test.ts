import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, useDatabase } from '../helpers.js'
import { addRoom, demoPeople, say } from '../conversation.js'

const db = useDatabase()

test('the seed room as the buyer sees it: header, last message, unread count, members', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  await say(agent, 1, 'Chào anh')
  await say(agent, 1, 'Nhà còn bán')
  await say(buyer, 1, 'Dạ')
  const mine = await say(buyer, 1, 'Giá bao nhiêu?')
  const answer = await buyer.request({ command: 'room_list', requestId: 'l' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.requestId, 'l')
  assert.equal(answer.nextCursor, null)
  assert.deepEqual(answer.rooms, [{
    roomId: '1',
    listingId: '123',
    title: 'Bán nhà mặt phố Hà Nội',
    lastMessage: mine,
    unreadCount: 2,
    members: [
      { userId: '14', fullname: 'Trần Thị B', avatar: 'https://example.com/avatar-b.jpg', role: 'OWNER' },
      { userId: '4', fullname: 'Nguyễn Văn A', avatar: 'https://example.com/avatar.jpg', role: 'MEMBER' }
    ]
  }])
  // The agent has not read the buyer's two messages; its own do not count.
  const agentView = await agent.request({ command: 'room_list' })
  assert.equal(agentView.rooms[0].unreadCount, 2)
})

test('newest activity first, a room without messages by its creation, paged with nextCursor', async (t) => {
  const app = await build(t, db.database)
  const { agent, outsider } = await demoPeople(app)
  await addRoom(app, '2', { 4: 'OWNER' })
  await addRoom(app, '3', { 4: 'OWNER', 15: 'MEMBER' })
  await addRoom(app, '4', { 15: 'OWNER' })
  await say(agent, 2, 'room two')
  await say(agent, 1, 'room one')
  const page1 = await agent.request({ command: 'room_list', limit: 2 })
  assert.deepEqual(page1.rooms.map((room: { roomId: string }) => room.roomId), ['1', '2'])
  assert.equal(typeof page1.nextCursor, 'string')
  const page2 = await agent.request({ command: 'room_list', limit: 2, before: page1.nextCursor })
  assert.deepEqual(page2.rooms.map((room: { roomId: string }) => room.roomId), ['3'])
  assert.equal(page2.rooms[0].lastMessage, null)
  assert.equal(page2.rooms[0].title, 'Room 3')
  assert.equal(page2.nextCursor, null)
  // The outsider never sees room 1.
  const outsiderRooms = await outsider.request({ command: 'room_list' })
  assert.deepEqual(outsiderRooms.rooms.map((room: { roomId: string }) => room.roomId).sort(), ['3', '4'])
})

test('a deleted last message shows as the tombstone and stops counting as unread', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  await say(agent, 1, 'first')
  const last = await say(agent, 1, 'oops')
  await agent.request({ command: 'message_delete', messageId: last.messageId })
  const [room] = (await buyer.request({ command: 'room_list' })).rooms
  assert.equal(room.lastMessage.messageId, last.messageId)
  assert.equal(room.lastMessage.content, null)
  assert.match(room.lastMessage.deletedAt, /Z$/)
  assert.equal(room.unreadCount, 1)
})

test('a cursor that is not ours is "Invalid message format"; no login, "Not authenticated"', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const answer = await agent.request({ command: 'room_list', before: 'not-a-cursor' })
  assert.equal(answer.reason, 'Invalid message format')
  assert.deepEqual(answer.errors, [{ path: '/before', message: 'must be a nextCursor from an earlier room_list' }])
  // Forged cursors that fit the pattern but not PostgreSQL's bigint: refused like any other.
  for (const forged of ['99999999999999999999.1', '-99999999999999999999.1', '9223372036854775808.1']) {
    const refused = await agent.request({ command: 'room_list', before: Buffer.from(forged).toString('base64url') })
    assert.deepEqual(refused.errors, [{ path: '/before', message: 'must be a nextCursor from an earlier room_list' }], forged)
  }
  const edge = await agent.request({ command: 'room_list', before: Buffer.from('9223372036854775807.1').toString('base64url') })
  assert.equal(edge.result, 'success')
  assert.equal((await agent.request({ command: 'room_list', limit: 'ten' })).code, 'INVALID_FORMAT')
  assert.equal((await (await connect(app)).request({ command: 'room_list' })).code, 'NOT_AUTHENTICATED')
})
