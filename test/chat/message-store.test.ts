import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import { chatRooms, members, messages } from '../../src/db/schema.js'
import type { NewMessage } from '../../src/chat/message-store.js'
import { build, loggedIn, useDatabase } from '../helpers.js'

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
  const [room] = await app.db.select().from(chatRooms).where(eq(chatRooms.id, '1'))
  assert.equal(room!.lastSeq, 3)
  assert.equal(room!.lastMessageId, stored[2]!.id)
  assert.equal(room!.lastMessageAt?.getTime(), stored[2]!.createdAt.getTime())
  // The buyer's socket got the others' messages once each, in seq order (its own would be its acknowledgement).
  const seen = [await buyer.next(), await buyer.next(), await buyer.next()].map((frame) => frame.message.seq)
  assert.deepEqual(seen, [1, 2, 3])
  assert.deepEqual(await buyer.settle(100), [])
})

test('a member who left is refused, read inside the storing transaction', async (t) => {
  const app = await build(t, db.database)
  assert.equal((await app.messageStore.submit(from('14', 'before'))).ok, true)
  await app.db.update(members).set({ leftAt: new Date() }).where(eq(members.userId, '14'))
  const after = await app.messageStore.submit(from('14', 'after'))
  assert.deepEqual(after.ok ? 'stored' : after.code, 'NOT_A_MEMBER')
})
