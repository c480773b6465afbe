import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import { Redis } from 'ioredis'
import { users } from '../../src/db/schema.js'
import type { Frame, TestClient } from '../helpers.js'
import { clusterSkip, deviceOn, useCluster } from './cluster.js'

// Three nodes as child processes sharing PostgreSQL and the machine's Redis (under a prefix of their own);
// every test of the file runs on them, with users of its own.
// Users 201-230 besides the demo data: each test takes its own.
const cluster = useCluster({
  nodes: 3,
  env: { ACCOUNT_CHECK_INTERVAL_MS: '300' },
  prepare: async ({ db }) => {
    await db.insert(users).values(Array.from({ length: 30 }, (_, index) => ({ id: String(201 + index), fullname: `User ${201 + index}` })))
  }
})
const skip = clusterSkip

const isEvent = (command: string, extra: (frame: Frame) => boolean = () => true) => (frame: Frame) => frame.command === command && frame.result === undefined && extra(frame)

/** A group room made by `owner` (whose socket is `client`) with `others`; their devices hear `room_created`. */
async function groupRoom (client: TestClient, others: number[]): Promise<string> {
  const answer = await client.request({ command: 'room_create', memberIds: others, title: 'across nodes' }, 10_000)
  assert.equal(answer.result, 'success', JSON.stringify(answer))
  return answer.room.roomId as string
}

/** Every client takes `frame`'s kind of event in `roomId`; returns what each got. */
const allGet = async (clients: TestClient[], command: string, roomId: string, timeoutMs = 10_000) =>
  await Promise.all(clients.map((client) => client.next(isEvent(command, (frame) => (frame.roomId ?? frame.message?.roomId ?? frame.room?.roomId) === roomId), timeoutMs)))

test('users on three nodes create a room, chat, type, read, edit, delete and see presence as on one node', { skip }, async () => {
  const [a, b, c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]]
  const owner = await deviceOn(a, 201)
  const second = await deviceOn(b, 202)
  const third = await deviceOn(c, 203)

  const roomId = await groupRoom(owner, [202, 203])
  const created = await Promise.all([second, third].map((client) => client.next(isEvent('room_created'), 10_000)))
  for (const frame of created) assert.equal(frame.room.roomId, roomId)

  const sent = await owner.request({ command: 'user_message', roomId, messageType: 'TEXT', content: 'hello from a', clientMessageId: 'c1' }, 10_000)
  assert.equal(sent.result, 'success', JSON.stringify(sent))
  const messageId = sent.message.messageId as string
  for (const frame of await allGet([second, third], 'user_message', roomId)) {
    assert.equal(frame.message.content, 'hello from a')
    assert.equal(frame.message.seq, 1)
  }

  const reply = await third.request({ command: 'user_message', roomId, messageType: 'TEXT', content: 'hello from c' }, 10_000)
  assert.equal(reply.result, 'success')
  for (const frame of await allGet([owner, second], 'user_message', roomId)) assert.equal(frame.message.seq, 2)

  second.send({ command: 'typing', roomId, isTyping: true })
  for (const frame of await allGet([owner, third], 'typing', roomId)) assert.deepEqual([frame.userId, frame.isTyping], ['202', true])

  assert.equal((await second.request({ command: 'message_read', roomId, messageId: reply.message.messageId })).result, 'success')
  for (const frame of await allGet([owner, third], 'message_read', roomId)) assert.equal(frame.userId, '202')

  assert.equal((await owner.request({ command: 'message_edit', messageId, content: 'hello, edited' })).result, 'success')
  for (const frame of await allGet([second, third], 'message_updated', roomId)) assert.equal(frame.message.content, 'hello, edited')

  assert.equal((await owner.request({ command: 'message_delete', messageId })).result, 'success')
  for (const frame of await allGet([second, third], 'message_deleted', roomId)) assert.equal(frame.messageId, messageId)

  // Presence: 203 is online through node c for the others; leaving c, they hear it went offline.
  const query = await owner.request({ command: 'presence_query', userIds: [202, 203] })
  assert.deepEqual(query.presence.map((entry: Frame) => [entry.userId, entry.online]), [['202', true], ['203', true]])
  third.close()
  for (const client of [owner, second]) {
    const frame = await client.next(isEvent('presence', (presence) => presence.userId === '203' && presence.online === false), 10_000)
    assert.equal(typeof frame.lastSeenAt, 'string')
  }
  const after = await second.request({ command: 'presence_query', userIds: [203] })
  assert.equal(after.presence[0].online, false)
  const back = await deviceOn(b, 203)
  await owner.next(isEvent('presence', (presence) => presence.userId === '203' && presence.online === true), 10_000)
  for (const client of [owner, second, back]) client.close()
})

test('two senders on two nodes, 500 messages each into one room: every receiver on every node sees seq 1..1000 in order', { skip }, async () => {
  const [a, b, c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]]
  const left = await deviceOn(a, 204)
  const right = await deviceOn(b, 205)
  const roomId = await groupRoom(left, [205, 206])
  const receivers = [await deviceOn(c, 206), await deviceOn(a, 206, 'second-206'), await deviceOn(c, 204, 'second-204'), await deviceOn(b, 204, 'third-204')]
  await right.next(isEvent('room_created'), 10_000)

  const seqs = receivers.map(() => [] as number[])
  const collect = receivers.map(async (client, index) => {
    while (seqs[index]!.length < 1000) {
      const frame = await client.next(isEvent('user_message', (message) => message.message.roomId === roomId), 60_000)
      seqs[index]!.push(frame.message.seq as number)
    }
  })
  const send = async (client: TestClient, name: string) => {
    for (let index = 0; index < 500; index++) client.send({ command: 'user_message', roomId, messageType: 'TEXT', content: `${name} ${index}`, clientMessageId: `${name}-${index}` })
    for (let index = 0; index < 500; index++) assert.equal((await client.next((frame) => frame.command === 'user_message' && frame.result !== undefined, 60_000)).result, 'success')
  }
  await Promise.all([send(left, 'left'), send(right, 'right')])
  await Promise.all(collect)
  const expected = Array.from({ length: 1000 }, (_, index) => index + 1)
  for (const [index, got] of seqs.entries()) assert.deepEqual(got, expected, `receiver ${index}: seq in order, without gap or duplicate`)
  for (const client of [left, right, ...receivers]) client.close()
})

test('a device logging in again on another node closes its old session there with session_replaced and 4002', { skip }, async () => {
  const [a, b] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0]]
  const first = await deviceOn(a, 207, 'phone')
  const other = await deviceOn(a, 207, 'tablet')
  const again = await deviceOn(b, 207, 'phone')
  await first.next(isEvent('session_replaced'), 10_000)
  assert.equal((await first.closedWithin(10_000)).code, 4002)
  // The user's other device, and the new session, go on.
  assert.equal((await other.request({ command: 'ping' })).command, 'pong')
  assert.equal((await again.request({ command: 'ping' })).command, 'pong')
  other.close()
  again.close()
})

test('a banned user loses their devices on every node with account_disabled and 4004', { skip }, async () => {
  const devices = await Promise.all(cluster.nodes.map((node, index) => deviceOn(node, 208, `device-${index}`)))
  await cluster.database.db.update(users).set({ status: 'BANNED' }).where(eq(users.id, '208'))
  for (const device of devices) {
    await device.next(isEvent('account_disabled'), 10_000)
    assert.equal((await device.closedWithin(10_000)).code, 4004)
  }
})

test('a removed member receives nothing more from the room on any node', { skip }, async () => {
  const [a, b, c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]]
  const owner = await deviceOn(a, 209)
  const stays = await deviceOn(b, 210)
  const removed = [await deviceOn(c, 211), await deviceOn(a, 211, 'second-211')]
  const roomId = await groupRoom(owner, [210, 211])
  // A second room that the removed user keeps: its messages are the barrier that proves nothing came before.
  const other = await groupRoom(owner, [211])
  for (const client of [stays, ...removed]) await client.next(isEvent('room_created', (frame) => frame.room.roomId === roomId), 10_000)
  for (const client of removed) await client.next(isEvent('room_created', (frame) => frame.room.roomId === other), 10_000)

  assert.equal((await owner.request({ command: 'room_remove_member', roomId, userId: 211 })).result, 'success')
  for (const client of removed) await client.next(isEvent('room_member_removed', (frame) => frame.roomId === roomId), 10_000)
  assert.equal((await owner.request({ command: 'user_message', roomId, messageType: 'TEXT', content: 'after the removal' })).result, 'success')
  owner.send({ command: 'typing', roomId, isTyping: true })
  assert.equal((await owner.request({ command: 'user_message', roomId: other, messageType: 'TEXT', content: 'marker' })).result, 'success')
  await stays.next(isEvent('user_message', (frame) => frame.message.content === 'after the removal'), 10_000)
  for (const client of removed) {
    await client.next(isEvent('user_message', (frame) => frame.message.content === 'marker'), 10_000)
    const fromRoom = client.pending().filter((frame) => (frame.roomId ?? frame.message?.roomId) === roomId)
    assert.deepEqual(fromRoom, [], 'nothing of the room after the removal, on either node')
  }
  for (const client of [owner, stays, ...removed]) client.close()
})

test('a user online on one node who logs in on another is not announced again; their peers hear it once, as on one node', { skip }, async () => {
  const [a, b, c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]]
  const watcher = await deviceOn(a, 212)
  await groupRoom(watcher, [213, 214])
  const first = await deviceOn(b, 213)
  await watcher.next(isEvent('presence', (frame) => frame.userId === '213' && frame.online === true), 10_000)
  const second = await deviceOn(c, 213, 'second-213')
  // The barrier: node c announces 214 after whatever it would have announced of 213.
  const other = await deviceOn(c, 214)
  await watcher.next(isEvent('presence', (frame) => frame.userId === '214' && frame.online === true), 10_000)
  assert.deepEqual(watcher.pending().filter((frame) => frame.command === 'presence' && frame.userId === '213'), [])
  for (const client of [watcher, first, second, other]) client.close()
})

test('a node listens to a room while one of its users belongs to it: from an added member\'s arrival to their last device leaving', { skip }, async (t) => {
  const [a, , c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]]
  const redis = new Redis(cluster.redisUrl)
  t.after(() => redis.disconnect())
  const owner = await deviceOn(a, 215)
  const roomId = await groupRoom(owner, [217])
  const listeners = async () => {
    const [, count] = await redis.call('PUBSUB', 'SHARDNUMSUB', `${cluster.prefix}room:${roomId}`) as [string, number]
    return count
  }
  const until = async (what: string, count: number) => {
    const deadline = Date.now() + 10_000
    while (await listeners() !== count) {
      if (Date.now() > deadline) throw new Error(`${what}: ${await listeners()} nodes listen, not ${count}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  await until('only the owner\'s node', 1)

  const added = await deviceOn(c, 216)
  assert.equal((await owner.request({ command: 'room_add_member', roomId, userId: 216 })).result, 'success')
  await added.next(isEvent('room_member_added', (frame) => frame.roomId === roomId), 10_000)
  await until('the added member\'s node listens too', 2)
  assert.equal((await owner.request({ command: 'user_message', roomId, messageType: 'TEXT', content: 'welcome' })).result, 'success')
  await added.next(isEvent('user_message', (frame) => frame.message.content === 'welcome'), 10_000)

  added.close()
  await until('the member\'s last device left node c', 1)
  const back = await deviceOn(c, 216)
  await until('back on node c', 2)
  assert.equal((await owner.request({ command: 'user_message', roomId, messageType: 'TEXT', content: 'again' })).result, 'success')
  await back.next(isEvent('user_message', (frame) => frame.message.content === 'again'), 10_000)
  for (const client of [owner, back]) client.close()
})
