import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'drizzle-orm'
import { build, textMessage, useDatabase } from '../helpers.js'
import { demoPeople } from '../conversation.js'

const db = useDatabase()

// A leading U+FEFF is text like any other: a decoder that takes it for a byte order mark drops it.
const TEXTS = ['\uFEFFXin chào', '\uFEFFx', '\uFEFF\uFEFFhai dấu', 'giữa\uFEFFcâu']

const utf8Hex = (text: string) => Buffer.from(text, 'utf8').toString('hex')

test('text that starts with U+FEFF comes back byte-identical in the acknowledgement, the broadcast, history, sync and edits', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  const sent: string[] = []
  for (const content of TEXTS) {
    const ack = await agent.request(textMessage(content))
    assert.equal(ack.result, 'success', JSON.stringify(ack))
    assert.equal(utf8Hex(ack.message.content), utf8Hex(content), 'acknowledgement')
    const broadcast = await buyer.next((frame) => frame.command === 'user_message')
    assert.equal(utf8Hex(broadcast.message.content), utf8Hex(content), 'broadcast')
    sent.push(ack.message.messageId)
  }
  const stored = await app.db.execute<{ hex: string }>(sql`SELECT encode(convert_to(content, 'UTF8'), 'hex') AS hex FROM messages ORDER BY id`)
  const rows = Array.isArray(stored) ? stored : (stored as unknown as { rows: Array<{ hex: string }> }).rows
  assert.deepEqual(rows.map((row) => row.hex), TEXTS.map(utf8Hex), 'the stored bytes')

  const history = await buyer.request({ command: 'room_history', roomId: 1 })
  assert.deepEqual(history.messages.map((message: { content: string }) => utf8Hex(message.content)), TEXTS.map(utf8Hex), 'history')
  const synced = await buyer.request({ command: 'sync', since: '0' })
  assert.deepEqual(synced.messages.map((message: { content: string }) => utf8Hex(message.content)), TEXTS.map(utf8Hex), 'sync')
  // A failed statement makes PGlite start its reader anew: text still comes back whole after one.
  await assert.rejects(app.db.execute(sql`SELECT 1 / 0`))
  const again = await buyer.request({ command: 'room_history', roomId: 1 })
  assert.deepEqual(again.messages.map((message: { content: string }) => utf8Hex(message.content)), TEXTS.map(utf8Hex), 'history after an error')

  const edited = await agent.request({ command: 'message_edit', messageId: sent[0], content: '\uFEFFđã sửa' })
  assert.equal(edited.result, 'success', JSON.stringify(edited))
  assert.equal(utf8Hex(edited.message.content), utf8Hex('\uFEFFđã sửa'), 'edit answer')
  const update = await buyer.next((frame) => frame.command === 'message_updated')
  assert.equal(utf8Hex(update.message.content), utf8Hex('\uFEFFđã sửa'), 'edit event')
})
