import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { BrokerEvent } from '../../src/broker/types.js'
import { loggedIn, memoryEngine, startNodes, textMessage, useDatabase, type Frame, type TestClient } from '../helpers.js'

const shared = useDatabase()

const isMessage = (frame: Frame) => frame.command === 'user_message'
const seqOf = (event: BrokerEvent) => event.type === 'room_frame' ? event.seq : undefined

/** The next `count` user_message frames of `client` (broadcasts and acknowledgements alike). */
async function messages (client: TestClient, count: number, timeoutMs = 5000): Promise<Frame[]> {
  const frames: Frame[] = []
  while (frames.length < count) frames.push(await client.next(isMessage, timeoutMs))
  return frames
}

test('a message the broker lost on the way to one node is read from the database: its sockets still get seq 1, 2, 3', async (t) => {
  const engine = memoryEngine()
  const [a, b] = await startNodes(t, shared.database, engine)
  const agent = await loggedIn(a!, 4)
  const buyer = await loggedIn(b!, 14)
  engine.bus!.faults.lose = (event, nodeId) => seqOf(event) === 2 && nodeId === b!.broker.nodeId
  for (const content of ['một', 'hai', 'ba']) assert.equal((await agent.request(textMessage(content))).result, 'success')
  const received = await messages(buyer, 3)
  assert.deepEqual(received.map((frame) => [frame.message.seq, frame.message.content]), [[1, 'một'], [2, 'hai'], [3, 'ba']])
  assert.ok(received.every((frame) => frame.result === undefined), 'broadcast copies, not answers')
})

test('events that reach a node out of order are handed to its sockets in seq order', async (t) => {
  const engine = memoryEngine()
  const [a, b] = await startNodes(t, shared.database, engine)
  const agent = await loggedIn(a!, 4)
  const buyer = await loggedIn(b!, 14)
  // The first message reaches node B after the two that follow it.
  engine.bus!.faults.delay = (event, nodeId) => seqOf(event) === 1 && nodeId === b!.broker.nodeId ? 60 : 0
  for (const content of ['một', 'hai', 'ba']) agent.send(textMessage(content))
  assert.deepEqual((await messages(agent, 3)).map((frame) => [frame.message.seq, frame.result]), [[1, 'success'], [2, 'success'], [3, 'success']])
  assert.deepEqual((await messages(buyer, 3)).map((frame) => frame.message.seq), [1, 2, 3])
})

test('two senders on two nodes: each socket, the senders\' own included, sees the room in seq order with its acknowledgements in place', async (t) => {
  const engine = memoryEngine()
  const [a, b] = await startNodes(t, shared.database, engine)
  const agent = await loggedIn(a!, 4)
  const buyer = await loggedIn(b!, 14)
  const agentPhone = await loggedIn(b!, 4, 'phone')
  // Whatever the other node published reaches node A late, in a shuffled order.
  let turn = 0
  engine.bus!.faults.delay = (event, nodeId) => event.type === 'room_frame' && nodeId === a!.broker.nodeId && event.origin?.connectionId.startsWith(nodeId) !== true ? (turn++ % 3) * 15 : 0
  const perSender = 15
  for (let index = 0; index < perSender; index++) {
    agent.send(textMessage(`agent ${index}`, { requestId: `a${index}` }))
    buyer.send(textMessage(`buyer ${index}`, { requestId: `b${index}` }))
  }
  const total = perSender * 2
  const expected = Array.from({ length: total }, (_, index) => index + 1)
  for (const [name, client] of [['agent', agent], ['buyer', buyer], ['agent phone', agentPhone]] as const) {
    const frames = await messages(client, total)
    assert.deepEqual(frames.map((frame) => frame.message.seq), expected, `${name} sees 1..${total} in order`)
  }
})
