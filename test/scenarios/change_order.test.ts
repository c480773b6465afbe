import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { build, onPostgres, useDatabase } from '../helpers.js'
import { onRealSockets, say } from '../conversation.js'
import { messages } from '../../src/db/schema.js'
import { takeChangeOrderLock } from '../../src/chat/change-order.js'

const db = useDatabase()

// PGlite runs one statement at a time for the whole database: a second writer cannot even start while the
// slow edit's transaction is open, so the test would pass there with the change-order lock removed.
const LOCK_NEEDS_POSTGRES = onPostgres ? false : 'needs PostgreSQL: PGlite serializes every statement, so no writer ever waits on the lock there'

/** Waits until a message store is seen waiting on the change-order lock (an advisory lock not granted). */
async function storeWaitsOnLock (app: FastifyInstance, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const result = await app.db.execute(sql`SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = current_database() AND a.query LIKE '%store_message_batch%'`)
    const [row] = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as Array<{ waiting: number }>
    if ((row?.waiting ?? 0) > 0) return
    if (Date.now() > deadline) throw new Error(`no message store waited on the change-order lock within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('a change that took its syncToken first but commits later is never skipped by sync', { skip: LOCK_NEEDS_POSTGRES }, async (t) => {
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
  // The database shows it waiting on the lock; until the edit commits it is not acknowledged.
  try {
    agent.send({ command: 'user_message', roomId: 1, content: 'meanwhile', messageType: 'TEXT' })
    await storeWaitsOnLock(app)
    assert.deepEqual(agent.pending().filter((frame) => frame.command === 'user_message'), [])
  } finally {
    commit()
    await slowEdit
  }
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
