import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, loggedIn, useDatabase } from '../helpers.js'
import { addRoom, assertQuiet, demoPeople, say } from '../conversation.js'

const db = useDatabase()

test('message_read: success, message_read to every member device but the answering one; unreadCount drops at once', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, outsider } = await demoPeople(app)
  const buyerTablet = await loggedIn(app, 14, 'tablet')
  await say(agent, 1, 'one')
  const second = await say(agent, 1, 'two')
  await say(agent, 1, 'three')
  assert.equal((await buyer.request({ command: 'room_list' })).rooms[0].unreadCount, 3)

  const answer = await buyer.request({ command: 'message_read', roomId: 1, messageId: second.messageId, requestId: 'r' })
  assert.deepEqual(answer, { command: 'message_read', result: 'success', requestId: 'r' })
  const event = await agent.next((frame) => frame.command === 'message_read')
  assert.deepEqual(Object.keys(event), ['command', 'roomId', 'userId', 'messageId', 'readAt'])
  assert.equal(event.roomId, '1')
  assert.equal(event.userId, '14')
  assert.equal(event.messageId, second.messageId)
  assert.match(event.readAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.deepEqual(await buyerTablet.next((frame) => frame.command === 'message_read'), event)
  await assertQuiet([buyer, outsider], 'message_read')
  assert.equal((await buyer.request({ command: 'room_list' })).rooms[0].unreadCount, 1)
})

test('the marker only moves forward: an older id succeeds, changes nothing and tells nobody', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  const first = await say(agent, 1, 'one')
  const second = await say(agent, 1, 'two')
  await buyer.request({ command: 'message_read', roomId: 1, messageId: second.messageId })
  await agent.next((frame) => frame.command === 'message_read')
  for (const messageId of [first.messageId, second.messageId]) {
    assert.equal((await buyer.request({ command: 'message_read', roomId: 1, messageId })).result, 'success')
  }
  await assertQuiet([agent], 'message_read')
  assert.equal((await buyer.request({ command: 'room_list' })).rooms[0].unreadCount, 0)
})

test('failures: another room\'s message, an unknown message, a room the reader is not in', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, outsider } = await demoPeople(app)
  await addRoom(app, '2', { 4: 'OWNER', 15: 'MEMBER' })
  const elsewhere = await say(agent, 2, 'room two')
  const here = await say(agent, 1, 'room one')
  assert.deepEqual(await agent.request({ command: 'message_read', roomId: 1, messageId: elsewhere.messageId }),
    { command: 'message_read', result: 'failed', reason: 'Message not found', code: 'MESSAGE_NOT_FOUND' })
  assert.equal((await agent.request({ command: 'message_read', roomId: 1, messageId: 987654 })).code, 'MESSAGE_NOT_FOUND')
  assert.deepEqual(await outsider.request({ command: 'message_read', roomId: 1, messageId: here.messageId }),
    { command: 'message_read', result: 'failed', reason: 'You are not a member of this room', code: 'NOT_A_MEMBER' })
  assert.equal((await buyer.request({ command: 'message_read', roomId: 2, messageId: elsewhere.messageId })).code, 'NOT_A_MEMBER')
  assert.equal((await buyer.request({ command: 'message_read', roomId: 1 })).code, 'MISSING_FIELDS')
  assert.equal((await (await connect(app)).request({ command: 'message_read', roomId: 1, messageId: here.messageId })).code, 'NOT_AUTHENTICATED')
  await assertQuiet([agent, buyer, outsider], 'message_read')
})
