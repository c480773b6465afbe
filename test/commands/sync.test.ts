import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connect, useDatabase, type Frame } from '../helpers.js'
import { addRoom, demoPeople, say } from '../conversation.js'
import { messages } from '../../src/db/schema.js'

const db = useDatabase()

const contents = (answer: Frame) => answer.messages.map((message: { content: string | null }) => message.content)

test('sync "0" returns every message of the user\'s rooms in change order, with a token that returns nothing next', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, outsider } = await demoPeople(app)
  await addRoom(app, '2', { 15: 'OWNER', 14: 'MEMBER' })
  const first = await say(agent, 1, 'one')
  await say(outsider, 2, 'two')
  const third = await say(buyer, 1, 'three')
  await agent.request({ command: 'message_edit', messageId: first.messageId, content: 'one, edited' })

  const agentSync = await agent.request({ command: 'sync', since: '0', requestId: 's' })
  assert.equal(agentSync.result, 'success')
  assert.equal(agentSync.requestId, 's')
  assert.deepEqual(contents(agentSync), ['three', 'one, edited'])
  assert.equal(agentSync.hasMore, false)
  assert.equal(agentSync.messages[0].messageId, third.messageId)
  assert.match(agentSync.messages[1].editedAt, /Z$/)

  // The buyer sees both rooms; the outsider only room 2.
  assert.deepEqual(contents(await buyer.request({ command: 'sync', since: 0 })), ['two', 'three', 'one, edited'])
  assert.deepEqual(contents(await outsider.request({ command: 'sync', since: '0' })), ['two'])

  const again = await agent.request({ command: 'sync', since: agentSync.syncToken })
  assert.deepEqual(again, { command: 'sync', result: 'success', messages: [], hasMore: false, syncToken: agentSync.syncToken })
})

test('the syncToken of a user_message event covers that message: syncing from it skips it', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  await say(agent, 1, 'seen live')
  const event = await buyer.next((frame) => frame.command === 'user_message')
  await say(agent, 1, 'missed')
  assert.deepEqual(contents(await buyer.request({ command: 'sync', since: event.syncToken })), ['missed'])
})

test('a deleted message comes back once, as a tombstone', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const before = await agent.request({ command: 'sync', since: '0' })
  const photo = await agent.request({ command: 'user_message', roomId: 1, messageType: 'FILE', media: 'https://example.com/contract.pdf' })
  const deleted = await agent.request({ command: 'message_delete', messageId: photo.message.messageId })
  const answer = await agent.request({ command: 'sync', since: before.syncToken })
  assert.equal(answer.messages.length, 1)
  assert.equal(answer.messages[0].messageId, photo.message.messageId)
  assert.equal(answer.messages[0].media, null)
  assert.equal(answer.messages[0].deletedAt, deleted.deletedAt)
  assert.equal(answer.syncToken, deleted.syncToken)
})

test('pages of at most 500 with hasMore, continued by the returned token', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  const values = Array.from({ length: 620 }, (_, i) => ({ roomId: '1', seq: i + 1, senderId: '14', content: `bulk ${i}`, messageType: 'TEXT' as const }))
  await app.db.insert(messages).values(values)
  const page1 = await agent.request({ command: 'sync', since: '0' })
  assert.equal(page1.messages.length, 500)
  assert.equal(page1.hasMore, true)
  const page2 = await agent.request({ command: 'sync', since: page1.syncToken })
  assert.equal(page2.messages.length, 120)
  assert.equal(page2.hasMore, false)
  assert.equal(page2.messages[0].content, 'bulk 500')
  assert.equal(page2.messages.at(-1).content, 'bulk 619')
})

test('pages across rooms keep the overall change order, however the changes fall between the rooms', async (t) => {
  const app = await build(t, db.database)
  const { buyer } = await demoPeople(app)
  await addRoom(app, '2', { 15: 'OWNER', 14: 'MEMBER' })
  // Room 1 gets 100 changes, then the rooms alternate, then room 2 gets 200 more: 800 in all.
  const plan = [
    ...Array.from({ length: 100 }, () => '1'),
    ...Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? '2' : '1')),
    ...Array.from({ length: 200 }, () => '2')
  ]
  const seqs = new Map<string, number>()
  const values = plan.map((roomId, i) => {
    const seq = (seqs.get(roomId) ?? 0) + 1
    seqs.set(roomId, seq)
    return { roomId, seq, senderId: '14', content: `change ${i}`, messageType: 'TEXT' as const }
  })
  await app.db.insert(messages).values(values)
  const page1 = await buyer.request({ command: 'sync', since: '0' })
  const page2 = await buyer.request({ command: 'sync', since: page1.syncToken })
  assert.equal(page1.hasMore, true)
  assert.equal(page2.hasMore, false)
  assert.deepEqual([...contents(page1), ...contents(page2)], values.map((value) => value.content))
  assert.equal(page1.messages.length, 500)
})

test('a bad token is "Invalid message format"; no login, "Not authenticated"', async (t) => {
  const app = await build(t, db.database)
  const { agent } = await demoPeople(app)
  assert.equal((await agent.request({ command: 'sync', since: 'yesterday' })).code, 'INVALID_FORMAT')
  assert.equal((await agent.request({ command: 'sync' })).code, 'MISSING_FIELDS')
  assert.equal((await (await connect(app)).request({ command: 'sync', since: '0' })).code, 'NOT_AUTHENTICATED')
})
