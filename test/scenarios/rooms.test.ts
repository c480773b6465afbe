import { test } from 'node:test'
import assert from 'node:assert/strict'
import { listings } from '../../src/db/schema.js'
import { build, listen, listingRooms, loggedInReal, receivedSoFar, useDatabase, type Frame } from '../helpers.js'

const db = useDatabase()

test('two devices of one buyer contacting the same listing at once get one room', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  // More listings of the same agent: each one is another chance for the two calls to collide.
  const extra = await app.db.insert(listings).values(Array.from({ length: 5 }, (_, i) => ({ title: `Căn hộ ${i + 1}`, agentId: '4' })))
    .returning({ id: listings.id })
  const phone = await loggedInReal(app, url, 15, 'phone')
  const tablet = await loggedInReal(app, url, 15, 'tablet')
  const agentDevice = await loggedInReal(app, url, 4, 'agent')

  for (const listingId of ['123', ...extra.map((row) => row.id)]) {
    phone.send({ command: 'room_create', listingId, requestId: `phone-${listingId}` })
    tablet.send({ command: 'room_create', listingId: Number(listingId), requestId: `tablet-${listingId}` })
    const answers = await Promise.all([phone, tablet].map((client) =>
      client.next((f) => f.command === 'room_create' && f.requestId?.endsWith(`-${listingId}`))))
    assert.deepEqual(answers.map((a) => a.result), ['success', 'success'])
    assert.equal(answers[0]!.room.roomId, answers[1]!.room.roomId)
    assert.deepEqual(await listingRooms(app, '15', listingId), [answers[0]!.room.roomId])
    // The agent is told once about the one room.
    const created = await agentDevice.next((f) => f.command === 'room_created')
    assert.equal(created.room.roomId, answers[0]!.room.roomId)
    assert.equal(created.room.listingId, listingId)
  }
  assert.deepEqual(await receivedSoFar(agentDevice), [])
})

test('a member removed mid-conversation stops receiving at once and can no longer send', async (t) => {
  // The burst of 30 messages must not meet the per-connection rate limit.
  const app = await build(t, db.database, { RATE_LIMIT_BURST: 100 })
  const url = await listen(app)
  const owner = await loggedInReal(app, url, 14, 'owner')
  const removed = await loggedInReal(app, url, 4, 'agent')
  const third = await loggedInReal(app, url, 15, 'third')
  assert.equal((await owner.request({ command: 'room_add_member', roomId: 1, userId: 15 })).result, 'success')
  await removed.next((f) => f.command === 'room_member_added')

  // The third member keeps talking while the owner removes the agent.
  const during = Array.from({ length: 30 }, (_, i) => `during ${i}`)
  for (const content of during) third.send({ command: 'user_message', roomId: 1, content, messageType: 'TEXT', clientMessageId: content })
  // The removal goes out once the conversation is under way, with the rest still arriving.
  for (let i = 0; i < 5; i++) await third.next((f) => f.command === 'user_message' && f.result === 'success')
  const removal = await owner.request({ command: 'room_remove_member', roomId: 1, userId: 4 })
  assert.equal(removal.result, 'success')
  const after = Array.from({ length: 10 }, (_, i) => `after ${i}`)
  for (const content of after) {
    assert.equal((await owner.request({ command: 'user_message', roomId: 1, content, messageType: 'TEXT' })).result, 'success')
  }
  const own = await removed.request({ command: 'user_message', roomId: 1, content: 'Tôi còn ở đây không?', messageType: 'TEXT' })
  assert.deepEqual(own, { command: 'user_message', result: 'failed', reason: 'You are not a member of this room', code: 'NOT_A_MEMBER' })

  // Everything the third member sent was stored; the owner saw all of it and everything after.
  const ownerSeen: Frame[] = []
  for (let i = 0; i < during.length; i++) ownerSeen.push(await owner.next((f) => f.command === 'user_message'))
  const seqs = ownerSeen.map((f) => f.message.seq as number)
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b))

  const frames = await receivedSoFar(removed)
  const got = frames.filter((f) => f.command === 'user_message').map((f) => f.message)
  // The removal event is the last thing they heard from the room.
  const removedAt = frames.findIndex((f) => f.command === 'room_member_removed' && f.userId === '4')
  assert.ok(removedAt >= 0)
  assert.deepEqual(frames.slice(removedAt + 1).filter((f) => f.command === 'user_message'), [])
  assert.ok(got.length >= 5, `the messages stored before the removal reached them (${got.length})`)
  // Nothing sent after the removal answer reached them...
  assert.deepEqual(got.filter((m) => m.content.startsWith('after')), [])
  // ...and what did reach them is exactly the messages stored before the removal: an unbroken run from the start.
  const during0 = ownerSeen[0]!.message.seq as number
  assert.deepEqual(got.map((m) => m.seq), Array.from({ length: got.length }, (_, i) => during0 + i))
  t.diagnostic(`removed member received ${got.length} of ${during.length} messages sent during the removal`)
})
