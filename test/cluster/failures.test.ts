import { test } from 'node:test'
import assert from 'node:assert/strict'
import { and, eq } from 'drizzle-orm'
import { messages, users } from '../../src/db/schema.js'
import type { Frame, TestClient } from '../helpers.js'
import { clusterSkip, deviceOn, useCluster } from './cluster.js'
import type { NodeProcess } from './nodes.js'

// Two nodes on a redis-server of the file's own (one test stops it), with short leases and position
// checks; the nodes that are killed or stopped are started by their test.
const LEASE_MS = 1500
const cluster = useCluster({
  nodes: 2,
  redis: 'private',
  env: { PRESENCE_LEASE_MS: String(LEASE_MS), POSITION_CHECK_MS: '500' },
  prepare: async ({ db }) => {
    await db.insert(users).values(Array.from({ length: 20 }, (_, index) => ({ id: String(301 + index), fullname: `User ${301 + index}` })))
  }
})
const skip = clusterSkip
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const isEvent = (command: string, extra: (frame: Frame) => boolean = () => true) => (frame: Frame) => frame.command === command && frame.result === undefined && extra(frame)
const messageIn = (roomId: string, content?: string) => isEvent('user_message', (frame) => frame.message.roomId === roomId && (content === undefined || frame.message.content === content))

/** A group room of `owner` with `others`, each of `devices` having heard of it. */
async function groupRoom (owner: TestClient, others: number[], devices: TestClient[]): Promise<string> {
  const answer = await owner.request({ command: 'room_create', memberIds: others, title: 'failures' }, 10_000)
  assert.equal(answer.result, 'success', JSON.stringify(answer))
  const roomId = answer.room.roomId as string
  for (const device of devices) await device.next(isEvent('room_created', (frame) => frame.room.roomId === roomId), 10_000)
  return roomId
}

const say = async (client: TestClient, roomId: string, content: string): Promise<Frame> => {
  const answer = await client.request({ command: 'user_message', roomId, messageType: 'TEXT', content }, 10_000)
  assert.equal(answer.result, 'success', JSON.stringify(answer))
  return answer
}

async function until (what: string, condition: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limitMs} ms`)
    await sleep(100)
  }
}

test('a node killed with SIGKILL: its users go offline for everyone once its presence lease has run out', { skip }, async () => {
  const [a, b] = cluster.nodes as [NodeProcess, NodeProcess]
  const doomed = await cluster.addNode('killed')
  const watcher = await deviceOn(a, 301)
  const victim = await deviceOn(doomed, 302)
  const asker = await deviceOn(b, 303)
  await groupRoom(watcher, [302, 303], [victim, asker])
  const online = await asker.request({ command: 'presence_query', userIds: [302] })
  assert.equal(online.presence[0].online, true)

  await doomed.kill()
  // No goodbye: the users of the dead node are online until its lease runs out, then the live node that
  // notices tells their peers.
  const offline = await watcher.next(isEvent('presence', (frame) => frame.userId === '302' && frame.online === false), 10 * LEASE_MS)
  assert.equal(typeof offline.lastSeenAt, 'string')
  const after = await asker.request({ command: 'presence_query', userIds: [302, 301] })
  assert.deepEqual(after.presence.map((entry: Frame) => [entry.userId, entry.online]), [['302', false], ['301', true]])
  for (const client of [watcher, asker]) client.close()
})

test('SIGTERM of one node mid-conversation: its clients are closed with 1001, no acknowledged message is lost, and they go on from another node', { skip }, async () => {
  const [a, b] = cluster.nodes as [NodeProcess, NodeProcess]
  const leaving = await cluster.addNode('terminated')
  const sender = await deviceOn(leaving, 304)
  const reader = await deviceOn(a, 305)
  // A user of the stopped node who does not come back.
  const gone = await deviceOn(leaving, 308)
  const roomId = await groupRoom(sender, [305, 308], [reader, gone])

  const acknowledged = new Set<string>()
  const sending = (async () => {
    for (let index = 0; index < 200; index++) {
      if (sender.ws.readyState !== sender.ws.OPEN) break
      sender.send({ command: 'user_message', roomId, messageType: 'TEXT', content: `m${index}` })
      await sleep(5)
    }
  })()
  const collecting = (async () => {
    for (;;) {
      const answer = await sender.next((frame) => frame.command === 'user_message' && frame.result !== undefined, 20_000).catch(() => undefined)
      if (answer === undefined) return
      if (answer.result === 'success') acknowledged.add(answer.message.content as string)
    }
  })()
  await sleep(300)
  const exit = leaving.terminate()
  assert.equal((await sender.closedWithin(20_000)).code, 1001)
  await sending
  await collecting
  assert.equal((await exit).code, 0, leaving.output())
  assert.ok(acknowledged.size > 0, 'some messages were acknowledged before the shutdown')
  // The sender reconnects to another node at once, well within its presence lease.
  const back = await deviceOn(b, 304)

  const stored = await cluster.database.db.select({ content: messages.content }).from(messages).where(eq(messages.roomId, roomId))
  const storedContents = new Set(stored.map((row) => row.content))
  for (const content of acknowledged) assert.ok(storedContents.has(content), `acknowledged ${content} is stored`)
  // The reader on another node receives every stored message: live, or from the position check when the
  // stopping node's last publications did not get out (allow for a loaded machine's stalls).
  const received = new Set<string>()
  while (received.size < stored.length) received.add((await reader.next(messageIn(roomId), 30_000)).message.content as string)
  // The sender goes on from another node.
  await say(back, roomId, 'back on b')
  await reader.next(messageIn(roomId, 'back on b'), 10_000)
  // The stopped node said goodbye without announcing anyone offline (its clients reconnect elsewhere); a
  // user who did not come back is announced once its lease has run out.
  await reader.next(isEvent('presence', (frame) => frame.userId === '308' && frame.online === false), 10 * LEASE_MS)
  assert.deepEqual(reader.pending().filter((frame) => frame.command === 'presence' && frame.userId === '304' && frame.online === false), [], 'the sender came back')
  for (const client of [reader, back]) client.close()
})

test('Redis stopped and restarted mid-conversation: local delivery goes on, /readyz says the broker is down, what was stored meanwhile reaches the other node, and a takeover made meanwhile is completed', { skip }, async () => {
  const [a, b] = cluster.nodes as [NodeProcess, NodeProcess]
  const redis = cluster.redis!
  const here = await deviceOn(a, 306)
  const hereToo = await deviceOn(a, 307)
  const there = await deviceOn(b, 307, 'other-307')
  const roomId = await groupRoom(here, [307], [hereToo, there])
  await say(here, roomId, 'before')
  for (const client of [hereToo, there]) await client.next(messageIn(roomId, 'before'), 10_000)
  const olderSession = await deviceOn(a, 309, 'phone')

  await redis.stop()
  await until('node a reports the broker down', async () => (await a.readiness()).status === 503)
  const readiness = await a.readiness()
  assert.equal(readiness.body.status, 'unavailable')
  assert.deepEqual(readiness.body.checks, { database: 'ok', broker: 'unreachable' })

  // Stored and answered as usual, and delivered on the sender's own node.
  await say(here, roomId, 'during')
  await hereToo.next(messageIn(roomId, 'during'), 10_000)
  // The same device logs in on the other node: the takeover cannot cross now.
  const newerSession = await deviceOn(b, 309, 'phone')

  await redis.start()
  await until('both nodes ready again', async () => (await a.readiness()).status === 200 && (await b.readiness()).status === 200)
  // The other node catches up from the database (position check) without any client asking.
  await there.next(messageIn(roomId, 'during'), 10_000)
  // The takeover that could not cross is made once the nodes see each other's devices again.
  await olderSession.next(isEvent('session_replaced'), 10_000)
  assert.equal((await olderSession.closedWithin(10_000)).code, 4002)
  assert.equal((await newerSession.request({ command: 'ping' })).command, 'pong')
  // Cross-node delivery is back by itself.
  await say(there, roomId, 'after')
  for (const client of [here, hereToo]) await client.next(messageIn(roomId, 'after'), 10_000)
  // And `sync` has everything, in order.
  const sync = await there.request({ command: 'sync', since: '0' })
  const contents = (sync.messages as Frame[]).filter((message) => message.roomId === roomId).map((message) => message.content)
  assert.deepEqual(contents, ['before', 'during', 'after'])
  for (const client of [here, hereToo, there, newerSession]) client.close()
  const rows = await cluster.database.db.select().from(messages).where(and(eq(messages.roomId, roomId)))
  assert.equal(rows.length, 3)
})
