import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, loggedInAll, receivedSoFar, useDatabase } from '../helpers.js'
import { addRoom, assertQuiet, demoPeople } from '../conversation.js'

const db = useDatabase()

test('typing reaches the other members\' devices only; the typist gets no answer', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, outsider } = await demoPeople(app)
  const [agentTablet, buyerPhone] = await loggedInAll(app, [[4, 'tablet'], [14, 'phone']])
  agent.send({ command: 'typing', roomId: 1, isTyping: true, requestId: 't' })
  const expected = { command: 'typing', roomId: '1', userId: '4', isTyping: true }
  assert.deepEqual(await buyer.next(), expected)
  assert.deepEqual(await buyerPhone.next(), expected)
  await assertQuiet([agent, agentTablet, outsider])
})

test('at most one start per user and room every 2 s is forwarded; a stop always passes', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = await demoPeople(app)
  for (let i = 0; i < 5; i++) agent.send({ command: 'typing', roomId: 1, isTyping: true })
  agent.send({ command: 'typing', roomId: '1', isTyping: false })
  agent.send({ command: 'typing', roomId: 1, isTyping: true })
  agent.send({ command: 'typing', roomId: 1, isTyping: true })
  // Once the typist's socket answered a ping, all eight were handled; the buyer's own ping then follows
  // whatever was forwarded to it.
  await receivedSoFar(agent)
  const received = await receivedSoFar(buyer)
  assert.deepEqual(received.map((frame) => frame.isTyping), [true, false, true])
})

test('a non-member gets "You are not a member of this room" and nobody hears anything', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer, outsider } = await demoPeople(app)
  const answer = await outsider.request({ command: 'typing', roomId: 1, isTyping: true, requestId: 'x' })
  assert.deepEqual(answer, { command: 'typing', result: 'failed', reason: 'You are not a member of this room', code: 'NOT_A_MEMBER', requestId: 'x' })
  assert.equal((await outsider.request({ command: 'typing', roomId: 999, isTyping: true })).code, 'NOT_A_MEMBER')
  await addRoom(app, '2', { 15: 'OWNER' })
  assert.equal((await agent.request({ command: 'typing', roomId: 2, isTyping: false })).code, 'NOT_A_MEMBER')
  assert.equal((await agent.request({ command: 'typing', roomId: 1, isTyping: 'yes' })).code, 'INVALID_FORMAT')
  await assertQuiet([agent, buyer, outsider])
})
