import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq, sql } from 'drizzle-orm'
import { build, useDatabase } from '../helpers.js'
import { onRealSockets, say } from '../conversation.js'
import { messages } from '../../src/db/schema.js'
import { takeChangeOrderLock } from '../../src/chat/change-order.js'

const db = useDatabase()

test('a change that took its syncToken first but commits later is never skipped by sync', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = (await onRealSockets(app, { agent: [4, 'agent'], buyer: [14, 'buyer'] })).clients
  const early = await say(agent, 1, 'early')
  const before = (await buyer.request({ command: 'sync', since: '0' })).syncToken

  // A slow edit: it takes its change position, then holds its transaction open.
  let commit!: () => void
  const held = new Promise<void>((resolve) => { commit = resolve })
  let lockTaken!: () => void
  const locked = new Promise<void>((resolve) => { lockTaken = resolve })
  const slowEdit = app.db.transaction(async (tx) => {
    await takeChangeOrderLock(tx)
    await tx.update(messages).set({ content: 'edited slowly', editedAt: sql`now()`, changeSeq: sql`nextval('message_change_seq')` })
      .where(eq(messages.id, early.messageId))
    lockTaken()
    await held
  })
  await locked

  // A message sent meanwhile must wait: were it stored now, its larger token would cover the slow edit.
  let storedEarly
  try {
    agent.send({ command: 'user_message', roomId: 1, content: 'meanwhile', messageType: 'TEXT' })
    storedEarly = (await agent.settle(300)).filter((frame) => frame.command === 'user_message')
  } finally {
    commit()
    await slowEdit
  }
  assert.deepEqual(storedEarly, [])
  const sent = await agent.next((frame) => frame.command === 'user_message')

  const sync = await buyer.request({ command: 'sync', since: before })
  assert.deepEqual(sync.messages.map((message: { content: string }) => message.content), ['edited slowly', 'meanwhile'])
  assert.equal(sync.syncToken, sent.syncToken)
  agent.close()
  buyer.close()
})

test('a room\'s messages, edits and deletions reach every socket in the order they were stored', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, watcher } = (await onRealSockets(app, { agent: [4, 'agent'], buyer: [14, 'buyer'], watcher: [14, 'watcher'] })).clients
  const first = await say(agent, 1, 'm0')
  await watcher.next((frame) => frame.command === 'user_message')
  // Both members fire without waiting: sends, edits and deletes interleave on the server.
  for (let i = 1; i <= 10; i++) {
    agent.send({ command: 'user_message', roomId: 1, content: `a${i}`, messageType: 'TEXT' })
    buyer.send({ command: 'user_message', roomId: 1, content: `b${i}`, messageType: 'TEXT' })
    agent.send({ command: 'message_edit', messageId: first.messageId, content: `m0 v${i}` })
  }
  agent.send({ command: 'message_delete', messageId: first.messageId })
  const tokens: bigint[] = []
  for (let i = 0; i < 31; i++) {
    const event = await watcher.next((frame) => ['user_message', 'message_updated', 'message_deleted'].includes(frame.command))
    tokens.push(BigInt(event.syncToken))
  }
  assert.deepEqual(tokens, [...tokens].sort((a, b) => (a < b ? -1 : 1)))
  const sync = await watcher.request({ command: 'sync', since: String(tokens[0]! - 1n) })
  assert.equal(sync.syncToken, String(tokens.at(-1)))
  for (const client of [agent, buyer, watcher]) client.close()
})
