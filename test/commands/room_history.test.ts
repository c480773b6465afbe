import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, useDatabase } from '../helpers.js'
import { addRoom, assertQuiet, demoPeople, say } from '../conversation.js'

const db = useDatabase()

test('without cursors: the newest `limit` messages, ascending, each exactly like user_message\'s message', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  const sent = []
  for (let i = 1; i <= 5; i++) sent.push(await say(i % 2 === 0 ? buyer : agent, 1, `m${i}`))
  const answer = await buyer.request({ command: 'room_history', roomId: 1, limit: 3, requestId: 'h' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.requestId, 'h')
  assert.equal(answer.hasMore, true)
  assert.deepEqual(answer.messages, sent.slice(2))
  const all = await buyer.request({ command: 'room_history', roomId: '1' })
  assert.equal(all.hasMore, false)
  assert.deepEqual(all.messages.map((message: { content: string }) => message.content), ['m1', 'm2', 'm3', 'm4', 'm5'])
  await assertQuiet([agent], 'room_history')
})

test('beforeMessageId pages back, afterMessageId pages forward, both ascending', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const ids: string[] = []
  for (let i = 1; i <= 6; i++) ids.push((await say(agent, 1, `m${i}`)).messageId)
  const older = await agent.request({ command: 'room_history', roomId: 1, beforeMessageId: ids[4], limit: 2 })
  assert.deepEqual(older.messages.map((message: { messageId: string }) => message.messageId), [ids[2], ids[3]])
  assert.equal(older.hasMore, true)
  const oldest = await agent.request({ command: 'room_history', roomId: 1, beforeMessageId: ids[2], limit: 2 })
  assert.deepEqual(oldest.messages.map((message: { messageId: string }) => message.messageId), [ids[0], ids[1]])
  assert.equal(oldest.hasMore, false)
  const newer = await agent.request({ command: 'room_history', roomId: 1, afterMessageId: ids[1], limit: 3 })
  assert.deepEqual(newer.messages.map((message: { messageId: string }) => message.messageId), [ids[2], ids[3], ids[4]])
  assert.equal(newer.hasMore, true)
  const between = await agent.request({ command: 'room_history', roomId: 1, afterMessageId: ids[0], beforeMessageId: ids[3] })
  assert.deepEqual(between.messages.map((message: { messageId: string }) => message.messageId), [ids[1], ids[2]])
  assert.equal(between.hasMore, false)
})

test('limit is at most 100 (default 50)', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const values = Array.from({ length: 120 }, (_, i) => ({ roomId: '1', seq: i + 1, senderId: '4', content: `bulk ${i}`, messageType: 'TEXT' as const }))
  const { messages } = await import('../../src/db/schema.js')
  await app.db.insert(messages).values(values)
  const standard = await agent.request({ command: 'room_history', roomId: 1 })
  assert.equal(standard.messages.length, 50)
  assert.equal(standard.messages.at(-1).content, 'bulk 119')
  const capped = await agent.request({ command: 'room_history', roomId: 1, limit: 1000 })
  assert.equal(capped.messages.length, 100)
  assert.equal(capped.hasMore, true)
  assert.equal((await agent.request({ command: 'room_history', roomId: 1, limit: 0 })).code, 'INVALID_FORMAT')
})

test('deleted messages are tombstones; edited ones carry editedAt', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const photo = await agent.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', media: 'https://example.com/p.jpg', content: 'ảnh' })
  const text = await say(agent, 1, 'draft')
  await agent.request({ command: 'message_delete', messageId: photo.message.messageId })
  await agent.request({ command: 'message_edit', messageId: text.messageId, content: 'final' })
  const [tombstone, edited] = (await agent.request({ command: 'room_history', roomId: 1 })).messages
  assert.equal(tombstone.content, null)
  assert.equal(tombstone.media, null)
  assert.equal(tombstone.messageType, 'IMAGE')
  assert.match(tombstone.deletedAt, /Z$/)
  assert.equal(edited.content, 'final')
  assert.match(edited.editedAt, /Z$/)
})

test('a non-member gets "You are not a member of this room", an unknown room "Chat room not found"', async (t) => {
  const app = await build(t, db.database)
  const { agent, outsider } = await demoPeople(app)
  await say(agent, 1, 'secret')
  assert.deepEqual(await outsider.request({ command: 'room_history', roomId: 1 }),
    { command: 'room_history', result: 'failed', reason: 'You are not a member of this room', code: 'NOT_A_MEMBER' })
  assert.equal((await outsider.request({ command: 'room_history', roomId: 77 })).reason, 'Chat room not found')
  await addRoom(app, '2', { 15: 'OWNER' })
  assert.equal((await agent.request({ command: 'room_history', roomId: 2 })).code, 'NOT_A_MEMBER')
  assert.equal((await agent.request({ command: 'room_history' })).code, 'MISSING_FIELDS')
  assert.equal((await (await connect(app)).request({ command: 'room_history', roomId: 1 })).code, 'NOT_AUTHENTICATED')
})
