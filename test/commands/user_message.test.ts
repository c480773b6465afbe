import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq, sql } from 'drizzle-orm'
import { build, connect, failure, loggedIn, loggedInAll, onPostgres, receivedSoFar, textMessage, useDatabase, type Frame, type TestClient } from '../helpers.js'
import { chatRooms, messages } from '../../src/db/schema.js'
import { addRoom } from '../conversation.js'

const db = useDatabase()

const AGENT_4 = { userId: '4', fullname: 'Nguyễn Văn A', avatar: 'https://example.com/avatar.jpg', primaryRole: 'AGENT' }
const ROOM_1 = { roomId: '1', listingId: '123', title: 'Bán nhà mặt phố Hà Nội' }
const ISO_WITH_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** The room's `seq` counter as stored. */
const lastSeq = async (app: Awaited<ReturnType<typeof build>>) =>
  (await app.db.select({ lastSeq: chatRooms.lastSeq }).from(chatRooms).where(eq(chatRooms.id, '1')))[0]?.lastSeq

/** Checks a user_message frame against the seed document's broadcast, field by field and in the seed's order. */
function assertSeedBroadcast (frame: Frame, expected: { content: string | null, messageType: string, media: string | null, seq: number }): void {
  const { message, room } = frame
  assert.equal(frame.command, 'user_message')
  assert.match(message.messageId, /^[0-9]+$/)
  assert.match(message.createdAt, ISO_WITH_MS)
  assert.ok(Math.abs(Date.parse(message.createdAt) - Date.now()) < 60_000, 'createdAt is now')
  assert.deepEqual(Object.keys(message).slice(0, 8), ['messageId', 'content', 'roomId', 'messageType', 'media', 'createdAt', 'sender', 'seq'])
  assert.deepEqual(message, {
    messageId: message.messageId,
    content: expected.content,
    roomId: '1',
    messageType: expected.messageType,
    media: expected.media,
    createdAt: message.createdAt,
    sender: AGENT_4,
    seq: expected.seq
  })
  assert.deepEqual(room, ROOM_1)
}

test('the seed TEXT message reaches both members; the sender\'s copy is its acknowledgement', async (t) => {
  const app = await build(t, db.database)
  const [agent, buyer, outsider] = await loggedInAll(app, [[4, 'device-1'], [14, 'device-2'], [15, 'device-3']])

  agent.send({ command: 'user_message', content: 'Xin chào', messageType: 'TEXT', roomId: 1, requestId: 'm1' })
  const ack = await agent.next()
  const broadcast = await buyer.next()
  assert.equal(ack.result, 'success')
  assert.equal(ack.requestId, 'm1')
  assertSeedBroadcast(ack, { content: 'Xin chào', messageType: 'TEXT', media: null, seq: 1 })
  assertSeedBroadcast(broadcast, { content: 'Xin chào', messageType: 'TEXT', media: null, seq: 1 })
  // The broadcast is a pushed event: no result, no requestId; otherwise the very same message.
  assert.equal(broadcast.result, undefined)
  assert.equal(broadcast.requestId, undefined)
  assert.deepEqual(broadcast.message, ack.message)
  // User 15 is in no room and hears nothing; nobody gets a second copy.
  assert.deepEqual(await receivedSoFar(outsider), [])
  assert.deepEqual(agent.pending(), [])
  assert.deepEqual(buyer.pending(), [])

  const [row] = await app.db.select().from(messages).where(eq(messages.id, ack.message.messageId))
  assert.equal(row?.content, 'Xin chào')
  assert.equal(row?.senderId, '4')
})

test('the seed IMAGE message carries its media and caption to every member', async (t) => {
  const app = await build(t, db.database)
  const [agent, buyer] = await loggedInAll(app, [[4, 'device-1'], [14, 'device-2']])
  const request = { command: 'user_message', content: 'Có gì trong bức hình này', roomId: 1, messageType: 'IMAGE', media: 'https://example.com/image.jpg' }
  const ack = await agent.request(request)
  assert.equal(ack.result, 'success')
  const expected = { content: 'Có gì trong bức hình này', messageType: 'IMAGE', media: 'https://example.com/image.jpg', seq: 1 }
  assertSeedBroadcast(ack, expected)
  assertSeedBroadcast(await buyer.next(), expected)
})

test('two devices of one user: the other device gets the broadcast, the sending one only its acknowledgement', async (t) => {
  const app = await build(t, db.database)
  const [phone, laptop, buyer] = await loggedInAll(app, [[4, 'phone'], [4, 'laptop'], [14, 'tablet']])
  const ack = await phone.request(textMessage('từ điện thoại', { requestId: 'p1' }))
  assert.equal(ack.result, 'success')
  assert.equal(ack.requestId, 'p1')
  for (const other of [laptop, buyer]) {
    const frame = await other.next()
    assert.equal(frame.result, undefined)
    assert.deepEqual(frame.message, ack.message)
  }
  // Exactly one frame each.
  await receivedSoFar(phone)
  for (const client of [phone, laptop, buyer]) assert.deepEqual(client.pending(), [])
})

test('refusals: not logged in, unknown room, not a member, media or content missing', async (t) => {
  const app = await build(t, db.database)
  const anonymous = await connect(app)
  assert.deepEqual(
    await anonymous.request(textMessage('Hello', { requestId: 'x' })),
    failure('user_message', 'Not authenticated', 'NOT_AUTHENTICATED', { requestId: 'x' }))

  const outsider = await loggedIn(app, 15)
  assert.deepEqual(await outsider.request(textMessage('cho tôi vào')), failure('user_message', 'You are not a member of this room', 'NOT_A_MEMBER'))

  const [agent, buyer] = await loggedInAll(app, [4, 14])
  assert.deepEqual(await agent.request(textMessage('đâu rồi', { roomId: 999 })), failure('user_message', 'Chat room not found', 'ROOM_NOT_FOUND'))
  assert.deepEqual(
    await agent.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', content: 'ảnh đâu?' }),
    failure('user_message', 'Missing required fields', 'MISSING_FIELDS', { errors: [{ path: '/media', message: 'is required for IMAGE messages (or attachmentId)' }] }))
  assert.deepEqual(
    await agent.request({ command: 'user_message', roomId: 1, messageType: 'TEXT' }),
    failure('user_message', 'Missing required fields', 'MISSING_FIELDS', { errors: [{ path: '/content', message: 'is required for TEXT messages' }] }))
  const blank = await agent.request(textMessage('   '))
  assert.equal(blank.code, 'INVALID_FORMAT')
  assert.equal(blank.reason, 'Invalid message format')
  const missingType = await agent.request({ command: 'user_message', roomId: 1, content: 'x' })
  assert.deepEqual(missingType, failure('user_message', 'Missing required fields', 'MISSING_FIELDS', { errors: [{ path: '/messageType', message: 'is required' }] }))

  // None of that stored or broadcast anything.
  assert.deepEqual(await receivedSoFar(buyer), [])
  assert.equal((await app.db.select().from(messages)).length, 0)
})

test('a retry with the same clientMessageId stores nothing new and is answered with the original', async (t) => {
  const app = await build(t, db.database)
  const [agent, buyer] = await loggedInAll(app, [4, 14])
  const first = await agent.request(textMessage('chỉ một lần', { clientMessageId: 'c-1', requestId: 'try-1' }))
  assert.equal(first.result, 'success')
  assert.equal(first.message.clientMessageId, 'c-1')
  assert.equal((await buyer.next()).message.messageId, first.message.messageId)

  const retry = await agent.request(textMessage('chỉ một lần', { clientMessageId: 'c-1', requestId: 'try-2' }))
  assert.equal(retry.result, 'success')
  assert.equal(retry.requestId, 'try-2')
  assert.deepEqual(retry.message, first.message)
  assert.deepEqual(await receivedSoFar(buyer), [], 'the retry is not broadcast again')
  assert.equal((await app.db.select().from(messages)).length, 1)

  // Another sender may use the same clientMessageId: it names their own message.
  const reply = await buyer.request(textMessage('của tôi', { clientMessageId: 'c-1' }))
  assert.equal(reply.result, 'success')
  assert.notEqual(reply.message.messageId, first.message.messageId)
  assert.equal(reply.message.seq, 2)
})

test('a retry sent to another room is answered with the original, room and all, and reaches nobody there', async (t) => {
  const app = await build(t, db.database)
  await addRoom(app, '2', { 4: 'OWNER', 15: 'MEMBER' })
  const [agent, buyer, other] = await loggedInAll(app, [4, 14, 15])
  const first = await agent.request(textMessage('ở phòng một', { clientMessageId: 'c-9' }))
  assert.equal(first.result, 'success')
  assert.deepEqual(first.room, ROOM_1, 'the acknowledgement names the room')
  assert.deepEqual((await buyer.next()).room, ROOM_1)

  const retry = await agent.request(textMessage('ở phòng một', { roomId: 2, clientMessageId: 'c-9', requestId: 'again' }))
  assert.equal(retry.result, 'success')
  assert.deepEqual(retry.message, first.message)
  assert.deepEqual(retry.room, ROOM_1, 'the retry names the room its original is in')
  // A marker sent to room 2 afterwards is the first thing its other member hears: the retry was not broadcast.
  const marker = await agent.request(textMessage('mốc', { roomId: 2 }))
  assert.deepEqual(marker.room, { roomId: '2', listingId: null, title: 'Room 2' })
  assert.deepEqual((await other.next()).message, marker.message)
  assert.equal(marker.message.seq, 1, 'nothing was stored in room 2 before the marker')
  assert.deepEqual((await app.db.select({ id: messages.id }).from(messages)).length, 2)
})

test('consecutive messages in a room get seq 1, 2, 3 and the room remembers the last one', async (t) => {
  const app = await build(t, db.database)
  const [agent, buyer] = await loggedInAll(app, [4, 14])
  const seqs: number[] = []
  for (const text of ['một', 'hai', 'ba']) seqs.push((await agent.request(textMessage(text))).message.seq)
  assert.deepEqual(seqs, [1, 2, 3])
  const received = [await buyer.next(), await buyer.next(), await buyer.next()]
  assert.deepEqual(received.map((frame) => [frame.message.seq, frame.message.content]), [[1, 'một'], [2, 'hai'], [3, 'ba']])
  assert.equal(await lastSeq(app), 3)
})

test('a database that fails on store: nothing stored, nothing broadcast, "Server is busy, try again"; then it recovers', async (t) => {
  const app = await build(t, db.database)
  const [agent, laptop, buyer] = await loggedInAll(app, [4, [4, 'laptop'], 14])
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
  assert.deepEqual(await receivedSoFar(buyer), [])
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

test('messages sent back to back on one socket are stored together, answered in the order sent, and a later command waits for them', async (t) => {
  const app = await build(t, db.database)
  const [agent, buyer] = await loggedInAll(app, [4, 14])
  // Twenty messages without waiting, with a refusal, a retry of an earlier one and an invalid frame among them.
  const frames: Array<{ frame: Frame, expect: 'stored' | 'retry' | string }> = []
  for (let i = 1; i <= 20; i++) {
    if (i === 7) frames.push({ frame: textMessage('lạc phòng', { roomId: 999, requestId: 'r-7' }), expect: 'ROOM_NOT_FOUND' })
    else if (i === 12) frames.push({ frame: textMessage('tin 3', { clientMessageId: 'c-3', requestId: 'r-12' }), expect: 'retry' })
    else if (i === 15) frames.push({ frame: textMessage('   ', { requestId: 'r-15' }), expect: 'INVALID_FORMAT' })
    else frames.push({ frame: textMessage(`tin ${i}`, { clientMessageId: `c-${i}`, requestId: `r-${i}` }), expect: 'stored' })
  }
  for (const { frame } of frames) agent.send(frame)
  agent.send({ command: 'room_history', roomId: 1, limit: 50, requestId: 'history' })

  const answers: Frame[] = []
  for (let i = 0; i < frames.length + 1; i++) answers.push(await agent.next())
  assert.deepEqual(answers.map((answer) => answer.requestId), [...frames.map(({ frame }) => frame.requestId), 'history'], 'answers in the order sent')
  let seq = 0
  frames.forEach(({ expect }, index) => {
    const answer = answers[index]!
    if (expect === 'stored') {
      assert.equal(answer.result, 'success')
      assert.equal(answer.message.seq, ++seq, 'seq follows the order sent')
    } else if (expect === 'retry') {
      assert.equal(answer.result, 'success')
      assert.equal(answer.message.seq, 3, 'the retry is answered with the original')
    } else {
      assert.equal(answer.code, expect)
    }
  })
  // The history asked for after them already holds every one of them.
  const history = answers.at(-1)!
  assert.equal(history.result, 'success')
  assert.equal(history.messages.length, seq)

  const received = await Promise.all(Array.from({ length: seq }, () => buyer.next()))
  assert.deepEqual(received.map((frame) => frame.message.seq), Array.from({ length: seq }, (_, i) => i + 1))
  assert.deepEqual(await receivedSoFar(buyer), [], 'the retry is not broadcast again')
  // They did not wait for one another: some went into the same transaction (created_at is its start).
  // An embedded database finishes each transaction before the socket's next frame is read, so this
  // shows only against a database server.
  const [{ transactions } = { transactions: 0 }] = await app.db.select({ transactions: sql<number>`count(DISTINCT ${messages.createdAt})::int` }).from(messages)
  if (onPostgres) assert.ok(transactions < seq, `${seq} messages in ${transactions} transactions`)
})
