import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, useDatabase } from '../helpers.js'
import { addRoom, ageMessage, assertQuiet, demoPeople, say, storedMessage } from '../conversation.js'

const db = useDatabase()

test('the sender edits a TEXT message: answer with the updated message, message_updated to the other devices only', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, outsider } = await demoPeople(app)
  const original = await say(agent, 1, 'Giá 5 tỷ')
  await buyer.next((frame) => frame.command === 'user_message')
  const answer = await agent.request({ command: 'message_edit', messageId: original.messageId, content: 'Giá 4,5 tỷ', requestId: 'e1' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.requestId, 'e1')
  assert.equal(answer.message.messageId, original.messageId)
  assert.equal(answer.message.content, 'Giá 4,5 tỷ')
  assert.equal(answer.message.createdAt, original.createdAt)
  assert.match(answer.message.editedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.deepEqual(answer.message.sender, original.sender)
  assert.match(answer.syncToken, /^[0-9]+$/)

  const event = await buyer.next((frame) => frame.command === 'message_updated')
  assert.deepEqual(event, { command: 'message_updated', message: answer.message, syncToken: answer.syncToken })
  await assertQuiet([agent, outsider], 'message_updated')
  assert.equal((await storedMessage(app, original.messageId))!.content, 'Giá 4,5 tỷ')
})

test('the edit bumps the change sequence past the message\'s own syncToken', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const sent = await agent.request({ command: 'user_message', roomId: 1, content: 'a', messageType: 'TEXT' })
  const edited = await agent.request({ command: 'message_edit', messageId: sent.message.messageId, content: 'b' })
  assert.ok(BigInt(edited.syncToken) > BigInt(sent.syncToken))
})

test('editing someone else\'s message is "Not allowed", and nobody hears of it', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  const message = await say(agent, 1, 'mine')
  const answer = await buyer.request({ command: 'message_edit', messageId: message.messageId, content: 'hijacked' })
  assert.deepEqual(answer, { command: 'message_edit', result: 'failed', reason: 'Not allowed', code: 'FORBIDDEN' })
  await assertQuiet([agent, buyer], 'message_updated')
  assert.equal((await storedMessage(app, message.messageId))!.content, 'mine')
})

test('media messages and deleted messages cannot be edited: "Not allowed"', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const photo = await agent.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', media: 'https://example.com/a.jpg', content: 'caption' })
  const photoEdit = await agent.request({ command: 'message_edit', messageId: photo.message.messageId, content: 'new caption' })
  assert.equal(photoEdit.code, 'FORBIDDEN')
  const gone = await say(agent, 1, 'to be deleted')
  await agent.request({ command: 'message_delete', messageId: gone.messageId })
  const goneEdit = await agent.request({ command: 'message_edit', messageId: gone.messageId, content: 'back' })
  assert.equal(goneEdit.reason, 'Not allowed')
})

test('after EDIT_WINDOW_MS the edit is refused with "Edit window has passed"; 0 means no limit', async (t) => {
  const app = await build(t, db.database, { EDIT_WINDOW_MS: 60_000 })
  const { agent } = await demoPeople(app)
  const message = await say(agent, 1, 'old')
  await ageMessage(app, message.messageId, 61_000)
  const answer = await agent.request({ command: 'message_edit', messageId: message.messageId, content: 'new' })
  assert.deepEqual(answer, { command: 'message_edit', result: 'failed', reason: 'Edit window has passed', code: 'EDIT_WINDOW_PASSED' })

  const unlimited = await build(t, db.database, { EDIT_WINDOW_MS: 0 })
  const agentAgain = await connect(unlimited)
  await agentAgain.login(unlimited, 4)
  const old = await say(agentAgain, 1, 'very old')
  await ageMessage(unlimited, old.messageId, 365 * 24 * 3600 * 1000)
  assert.equal((await agentAgain.request({ command: 'message_edit', messageId: old.messageId, content: 'still editable' })).result, 'success')
})

test('a message in a room the editor does not belong to, or with no row, is "Message not found"', async (t) => {
  const app = await build(t, db.database)
  const { agent, outsider } = await demoPeople(app)
  const message = await say(agent, 1, 'private')
  for (const messageId of [message.messageId, '999999']) {
    const answer = await outsider.request({ command: 'message_edit', messageId, content: 'x' })
    assert.deepEqual(answer, { command: 'message_edit', result: 'failed', reason: 'Message not found', code: 'MESSAGE_NOT_FOUND' })
  }
  await addRoom(app, '2', { 15: 'OWNER' })
  const elsewhere = await say(outsider, 2, 'room two')
  assert.equal((await agent.request({ command: 'message_edit', messageId: elsewhere.messageId, content: 'x' })).code, 'MESSAGE_NOT_FOUND')
})

test('the new content follows the user_message rules', async (t) => {
  const app = await build(t, db.database, { MAX_MESSAGE_CHARS: 5 })
  const { agent } = await demoPeople(app)
  const message = await say(agent, 1, 'hi')
  const blank = await agent.request({ command: 'message_edit', messageId: message.messageId, content: '   ' })
  assert.equal(blank.code, 'INVALID_FORMAT')
  assert.deepEqual(blank.errors, [{ path: '/content', message: 'must not be empty' }])
  const long = await agent.request({ command: 'message_edit', messageId: message.messageId, content: '123456' })
  assert.deepEqual(long.errors, [{ path: '/content', message: 'must be at most 5 characters' }])
  const missing = await agent.request({ command: 'message_edit', messageId: message.messageId })
  assert.equal(missing.code, 'MISSING_FIELDS')
  const anonymous = await connect(app)
  assert.equal((await anonymous.request({ command: 'message_edit', messageId: message.messageId, content: 'x' })).code, 'NOT_AUTHENTICATED')
})
