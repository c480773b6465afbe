import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq, sql } from 'drizzle-orm'
import { chatRooms, members, messages } from '../../src/db/schema.js'
import { MessageStore, type NewMessage } from '../../src/chat/message-store.js'
import { build, loggedIn, receivedSoFar, useDatabase } from '../helpers.js'
import { addRoom } from '../conversation.js'

const db = useDatabase()

const from = (userId: string, content: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  roomId: '1',
  sender: { userId, fullname: 'x', avatar: null, primaryRole: 'USER' },
  content,
  messageType: 'TEXT',
  media: null,
  clientMessageId: null,
  replyToMessageId: null,
  ...extra
})

/**
 * The transaction that wrote each stored message (its row's xmin): group commit shows as several messages of
 * one transaction. Exact on both databases, where created_at (the transaction's start) could coincide
 * for two transactions on PGlite's coarser clock.
 */
async function writerByContent (app: Awaited<ReturnType<typeof build>>): Promise<Record<string, string>> {
  const result = await app.db.execute(sql`SELECT content, xmin::text AS writer FROM messages`)
  const rows = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as Array<{ content: string, writer: string }>
  return Object.fromEntries(rows.map((row) => [row.content, row.writer]))
}

test('messages submitted together are stored in one batch: gapless seq, the room head on the newest, each failure its own', async (t) => {
  const app = await build(t, db.database)
  const buyer = await loggedIn(app, 14)
  const submitted = [
    from('4', 'một'),
    from('14', 'hai', { clientMessageId: 'c-1' }),
    from('15', 'not a member'),
    from('14', 'hai again', { clientMessageId: 'c-1' }),
    from('4', 'ba'),
    from('4', 'nowhere', { roomId: '999' })
  ].map((input) => app.messageStore.submit(input))
  const results = await Promise.all(submitted)

  assert.deepEqual(results.map((r) => r.ok ? r.row.seq : r.code), [1, 2, 'NOT_A_MEMBER', 2, 3, 'ROOM_NOT_FOUND'])
  assert.deepEqual(results.map((r) => r.ok && r.duplicate), [false, false, false, true, false, false])
  const stored = await app.db.select().from(messages).orderBy(messages.seq)
  assert.deepEqual(stored.map((row) => row.content), ['một', 'hai', 'ba'])
  // Group commit: the first submit starts a transaction of its own; the others, queued meanwhile, share one.
  const created = await writerByContent(app)
  assert.equal(created.hai, created.ba, 'hai and ba were stored in one transaction')
  assert.notEqual(created['một'], created.hai)
  const [room] = await app.db.select().from(chatRooms).where(eq(chatRooms.id, '1'))
  assert.equal(room!.lastSeq, 3)
  assert.equal(room!.lastMessageId, stored[2]!.id)
  assert.equal(room!.lastMessageAt?.getTime(), stored[2]!.createdAt.getTime())
  // The buyer's socket got the others' messages once each, in seq order (its own would be its acknowledgement).
  const seen = [await buyer.next(), await buyer.next(), await buyer.next()].map((frame) => frame.message.seq)
  assert.deepEqual(seen, [1, 2, 3])
  assert.deepEqual(await receivedSoFar(buyer), [])
})

test('a member who left is refused, read inside the storing transaction', async (t) => {
  const app = await build(t, db.database)
  assert.equal((await app.messageStore.submit(from('14', 'before'))).ok, true)
  await app.db.update(members).set({ leftAt: new Date() }).where(eq(members.userId, '14'))
  const after = await app.messageStore.submit(from('14', 'after'))
  assert.deepEqual(after.ok ? 'stored' : after.code, 'NOT_A_MEMBER')
})

test('one batch over two rooms: seq per room, replies checked against the room, and a clientMessageId answered by the element that was stored under it', async (t) => {
  const app = await build(t, db.database)
  await addRoom(app, '2', { 4: 'OWNER', 15: 'MEMBER' })
  const first = await app.messageStore.submit(from('4', 'gốc'))
  assert.ok(first.ok)
  // The first submit starts a batch by itself; the ones after it, submitted meanwhile, share the next.
  const opener = app.messageStore.submit(from('14', 'mở đầu'))
  const results = await Promise.all([
    // A reply to a message of another room fails; the same clientMessageId is then free for the next element.
    from('4', 'lạc', { roomId: '2', clientMessageId: 'k', replyToMessageId: first.row.id }),
    from('4', 'trả lời', { clientMessageId: 'k', replyToMessageId: first.row.id }),
    from('15', 'phòng hai', { roomId: '2' }),
    from('4', 'lặp lại', { roomId: '2', clientMessageId: 'k' }),
    from('4', 'tiếp', { roomId: '2' })
  ].map((input) => app.messageStore.submit(input)))
  assert.ok((await opener).ok)

  assert.deepEqual(results.map((r) => r.ok ? [r.row.roomId, r.row.seq, r.row.content, r.duplicate] : r.code), [
    'MESSAGE_NOT_FOUND',
    ['1', 3, 'trả lời', false],
    ['2', 1, 'phòng hai', false],
    ['1', 3, 'trả lời', true],
    ['2', 2, 'tiếp', false]
  ])
  const reply = results[1]!
  assert.ok(reply.ok)
  assert.equal(reply.row.replyToMessageId, first.row.id)
  assert.deepEqual(results[3]!.ok && results[3]!.row, reply.row, 'the duplicate is answered with the stored row')
  assert.deepEqual(results[3]!.ok && results[3]!.room, reply.room, 'and with the room it is in, not the room the retry named')
  assert.deepEqual(reply.room, { roomId: '1', listingId: '123', title: 'Bán nhà mặt phố Hà Nội' })
  assert.deepEqual(reply.recipients.sort(), ['14', '4'])
  assert.deepEqual(results[2]!.ok && results[2]!.recipients.sort(), ['15', '4'])
  // Ids and change order follow arrival order.
  const stored = results.flatMap((r) => r.ok && !r.duplicate ? [r.row] : [])
  assert.deepEqual(stored.map((row) => BigInt(row.changeSeq)), stored.map((row) => BigInt(row.changeSeq)).sort((a, b) => (a < b ? -1 : 1)))
  assert.ok(stored.every((row, index) => index === 0 || BigInt(row.id) > BigInt(stored[index - 1]!.id)))
  const rows = await app.db.select().from(messages).orderBy(messages.id)
  assert.deepEqual(rows.map((row) => row.content), ['gốc', 'mở đầu', 'trả lời', 'phòng hai', 'tiếp'])
  assert.deepEqual(rows.slice(2), stored, 'what was answered is what was stored')
  const created = await writerByContent(app)
  assert.equal(new Set([created['trả lời'], created['phòng hai'], created['tiếp']]).size, 1, 'the five were one transaction')
  assert.notEqual(created['gốc'], created['tiếp'])
  const rooms = await app.db.select({ id: chatRooms.id, lastSeq: chatRooms.lastSeq, lastMessageId: chatRooms.lastMessageId }).from(chatRooms).orderBy(chatRooms.id)
  assert.deepEqual(rooms, [{ id: '1', lastSeq: 3, lastMessageId: stored[0]!.id }, { id: '2', lastSeq: 2, lastMessageId: stored[2]!.id }])
})

test('a publish that throws is reported and the store goes on with the next messages', async (t) => {
  const app = await build(t, db.database)
  const published: string[] = []
  const errors: unknown[] = []
  const store = new MessageStore(app.db, {
    onStored: (stored) => {
      if (stored.row.content === 'hỏng') throw new Error('publish broke')
      published.push(stored.row.content!)
    },
    onError: (error) => { errors.push(error) }
  })
  const results = await Promise.all(['trước', 'hỏng', 'sau'].map((content) => store.submit(from('4', content))))
  assert.deepEqual(results.map((r) => r.ok && r.row.seq), [1, 2, 3], 'all three are stored')
  assert.deepEqual(published, ['trước', 'sau'])
  assert.deepEqual(errors.map((error) => (error as Error).message), ['publish broke'])
  assert.equal((await store.submit(from('4', 'tiếp'))).ok, true, 'the store still works')
  await store.drain()
})
