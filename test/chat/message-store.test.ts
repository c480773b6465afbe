import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq, sql } from 'drizzle-orm'
import { build, failure, loggedIn, textMessage, useDatabase, type TestClient } from '../helpers.js'
import { chatRooms, messages } from '../../src/db/schema.js'

const db = useDatabase()

const lastSeq = async (app: Awaited<ReturnType<typeof build>>) =>
  (await app.db.select({ lastSeq: chatRooms.lastSeq }).from(chatRooms).where(eq(chatRooms.id, '1')))[0]?.lastSeq

test('consecutive messages in a room get seq 1, 2, 3 and the room remembers the last one', async (t) => {
  const app = await build(t, db.database)
  const agent = await loggedIn(app, 4)
  const buyer = await loggedIn(app, 14)
  const seqs: number[] = []
  for (const text of ['một', 'hai', 'ba']) seqs.push((await agent.request(textMessage(text))).message.seq)
  assert.deepEqual(seqs, [1, 2, 3])
  const received = [await buyer.next(), await buyer.next(), await buyer.next()]
  assert.deepEqual(received.map((frame) => [frame.message.seq, frame.message.content]), [[1, 'một'], [2, 'hai'], [3, 'ba']])
  assert.equal(await lastSeq(app), 3)
})

test('a database that fails on store: nothing stored, nothing broadcast, "Server is busy, try again"; then it recovers', async (t) => {
  const app = await build(t, db.database)
  const agent = await loggedIn(app, 4)
  const laptop = await loggedIn(app, 4, 'laptop')
  const buyer = await loggedIn(app, 14)
  assert.equal((await agent.request(textMessage('trước sự cố'))).message.seq, 1)
  await buyer.next()
  await laptop.next()

  // A real failure inside the storing transaction: SQLSTATE 08006 is "connection failure".
  await app.db.execute(sql.raw(`
    CREATE FUNCTION refuse_messages() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'storage is down' USING ERRCODE = '08006'; END $$`))
  await app.db.execute(sql.raw('CREATE TRIGGER messages_down BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_messages()'))
  const dropTrigger = async () => {
    await app.db.execute(sql.raw('DROP TRIGGER IF EXISTS messages_down ON messages'))
    await app.db.execute(sql.raw('DROP FUNCTION IF EXISTS refuse_messages()'))
  }
  t.after(dropTrigger)

  assert.deepEqual(
    await agent.request(textMessage('trong sự cố', { requestId: 'busy' })),
    failure('user_message', 'Server is busy, try again', 'UNAVAILABLE', { requestId: 'busy' }))
  assert.deepEqual(await buyer.settle(), [])
  assert.deepEqual(laptop.pending(), [])
  assert.equal(await lastSeq(app), 1)
  assert.equal((await app.db.select().from(messages).where(eq(messages.content, 'trong sự cố'))).length, 0)

  await dropTrigger()
  const after = await agent.request(textMessage('sau sự cố'))
  assert.equal(after.result, 'success')
  assert.equal(after.message.seq, 2)
  assert.equal((await buyer.next()).message.seq, 2)
  assert.equal(await lastSeq(app), 2)
})

test('concurrent senders on several sockets: seq has no gaps and every socket sees the room in seq order', async (t) => {
  const app = await build(t, db.database)
  const senders = [await loggedIn(app, 4, 'phone'), await loggedIn(app, 4, 'laptop'), await loggedIn(app, 14, 'tablet')]
  const listener = await loggedIn(app, 14, 'watch')
  const perSender = 8
  const total = perSender * senders.length
  // Everything is sent at once, without waiting for answers, so the stores overlap.
  senders.forEach((client, index) => {
    for (let n = 0; n < perSender; n++) client.send(textMessage(`s${index}-${n}`, { requestId: `s${index}-${n}` }))
  })

  const seen = async (client: TestClient) => {
    const seqs: number[] = []
    while (seqs.length < total) seqs.push((await client.next((frame) => frame.command === 'user_message', 5000)).message.seq)
    return seqs
  }
  const everyone = await Promise.all([...senders, listener].map(seen))
  const inOrder = Array.from({ length: total }, (_, index) => index + 1)
  everyone.forEach((seqs, index) => assert.deepEqual(seqs, inOrder, `socket ${index} got the room out of order`))
  assert.equal(await lastSeq(app), total)
  const stored = await app.db.select({ seq: messages.seq }).from(messages).orderBy(messages.seq)
  assert.deepEqual(stored.map((row) => row.seq), inOrder)
})
