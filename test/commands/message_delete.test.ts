import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, loggedIn, useDatabase } from '../helpers.js'
import { addRoom, assertQuiet, demoPeople, say, storedMessage } from '../conversation.js'

const db = useDatabase()

test('the sender deletes: content and media are erased in storage, message_deleted reaches the other devices', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, outsider } = await demoPeople(app)
  const agentPhone = await loggedIn(app, 4, 'agent-phone')
  const photo = await agent.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', media: 'https://example.com/house.jpg', content: 'mặt tiền' })
  const { messageId } = photo.message
  await buyer.next((frame) => frame.command === 'user_message')
  await agentPhone.next((frame) => frame.command === 'user_message')

  const answer = await agent.request({ command: 'message_delete', messageId, requestId: 'd1' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.requestId, 'd1')
  assert.equal(answer.roomId, '1')
  assert.equal(answer.messageId, messageId)
  assert.match(answer.deletedAt, /Z$/)
  assert.ok(BigInt(answer.syncToken) > BigInt(photo.syncToken))

  const expected = { command: 'message_deleted', roomId: '1', messageId, deletedAt: answer.deletedAt, syncToken: answer.syncToken }
  assert.deepEqual(await buyer.next((frame) => frame.command === 'message_deleted'), expected)
  assert.deepEqual(await agentPhone.next((frame) => frame.command === 'message_deleted'), expected)
  await assertQuiet([agent, outsider], 'message_deleted')

  const row = await storedMessage(app, messageId)
  assert.equal(row!.content, null)
  assert.equal(row!.media, null)
  assert.equal(row!.deletedAt!.toISOString(), answer.deletedAt)
})

test('the room owner may delete another member\'s message', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  const message = await say(agent, 1, 'from the agent')
  const answer = await buyer.request({ command: 'message_delete', messageId: message.messageId })
  assert.equal(answer.result, 'success')
  await agent.next((frame) => frame.command === 'message_deleted' && frame.messageId === message.messageId)
})

test('a member who is neither sender nor owner gets "Not allowed"; nothing changes', async (t) => {
  const app = await build(t, db.database)
  const { buyer, agent } = await demoPeople(app)
  const message = await say(buyer, 1, 'from the owner')
  const answer = await agent.request({ command: 'message_delete', messageId: message.messageId })
  assert.deepEqual(answer, { command: 'message_delete', result: 'failed', reason: 'Not allowed', code: 'FORBIDDEN' })
  await assertQuiet([buyer, agent], 'message_deleted')
  assert.equal((await storedMessage(app, message.messageId))!.content, 'from the owner')
})

test('deleting twice succeeds with the first deletion\'s answer and broadcasts nothing more', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  const message = await say(agent, 1, 'once')
  const first = await agent.request({ command: 'message_delete', messageId: message.messageId })
  await buyer.next((frame) => frame.command === 'message_deleted')
  const second = await agent.request({ command: 'message_delete', messageId: message.messageId })
  assert.deepEqual(second, first)
  await assertQuiet([buyer], 'message_deleted')
})

test('outside the caller\'s rooms, or with no row: "Message not found"', async (t) => {
  const app = await build(t, db.database)
  const { agent, outsider } = await demoPeople(app)
  const message = await say(agent, 1, 'room one')
  for (const messageId of [message.messageId, 424242]) {
    const answer = await outsider.request({ command: 'message_delete', messageId })
    assert.deepEqual(answer, { command: 'message_delete', result: 'failed', reason: 'Message not found', code: 'MESSAGE_NOT_FOUND' })
  }
  await assertQuiet([agent], 'message_deleted')
  await addRoom(app, '2', { 15: 'OWNER', 4: 'MEMBER' })
  const theirs = await say(outsider, 2, 'room two')
  // Owner of room 1 is no owner in room 2.
  const buyer = await loggedIn(app, 14, 'buyer-2')
  assert.equal((await buyer.request({ command: 'message_delete', messageId: theirs.messageId })).code, 'MESSAGE_NOT_FOUND')
  assert.equal((await agent.request({ command: 'message_delete', messageId: theirs.messageId })).code, 'FORBIDDEN')
  const anonymous = await connect(app)
  assert.equal((await anonymous.request({ command: 'message_delete', messageId: theirs.messageId })).code, 'NOT_AUTHENTICATED')
  assert.equal((await agent.request({ command: 'message_delete', messageId: 'abc' })).code, 'INVALID_FORMAT')
})
