import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loggedIn, loggedInAll, memoryEngine, startNodes, textMessage, useDatabase, type Frame } from '../helpers.js'

const shared = useDatabase()

const isMessage = (frame: Frame) => frame.command === 'user_message'
// A sender whose event was lost may get the copy read back from the database besides its answer.
const isAnswer = (frame: Frame) => isMessage(frame) && frame.result !== undefined

test('a broker that rejects every publish: the node stays up, every change is answered as a success, its own sockets still get the frames, other nodes catch up with sync', async (t) => {
  const engine = memoryEngine()
  const [a, b] = await startNodes(t, shared.database, engine)
  const agent = await loggedIn(a!, 4)
  const buyerHere = await loggedIn(a!, 14, 'tablet')
  const buyerThere = await loggedIn(b!, 14, 'phone')
  engine.bus!.faults.rejectPublish = true

  const sent = await agent.request(textMessage('mất mạng'))
  assert.equal(sent.result, 'success')
  assert.equal((await buyerHere.next(isMessage)).message.messageId, sent.message.messageId, 'the publishing node delivers to its own sockets')
  const edited = await agent.request({ command: 'message_edit', messageId: sent.message.messageId, content: 'đã sửa' })
  assert.equal(edited.result, 'success', 'a change kept is answered as kept')
  assert.equal((await buyerHere.next((frame) => frame.command === 'message_updated')).message.content, 'đã sửa')
  const group = await agent.request({ command: 'room_create', memberIds: [14, 15], title: 'Nhóm' })
  assert.equal(group.result, 'success')
  assert.ok(a!.publisher.failures >= 3, `the failures are counted (${a!.publisher.failures})`)

  // Node B heard none of it; its socket is still served, and sync brings what it missed.
  const pong = await buyerThere.request({ command: 'ping' })
  assert.equal(pong.command, 'pong')
  assert.deepEqual(buyerThere.pending(), [])
  const synced = await buyerThere.request({ command: 'sync', since: '0' })
  assert.deepEqual(synced.messages.map((message: Frame) => message.content), ['đã sửa'])

  engine.bus!.faults.rejectPublish = false
  const after = await agent.request(textMessage('có mạng lại'))
  // Node B first reads back the message it never got (the next one shows the gap), then delivers the new one.
  const caughtUp = [await buyerThere.next(isMessage), await buyerThere.next(isMessage)]
  assert.deepEqual(caughtUp.map((frame) => [frame.message.seq, frame.message.content]), [[1, 'đã sửa'], [2, 'có mạng lại']])
  assert.equal(caughtUp[1]!.message.messageId, after.message.messageId, 'delivery across nodes goes on once the broker is back')
})

test('a subscriber that throws: the node stays up, the store goes on, every sender is answered', async (t) => {
  const [a] = await startNodes(t, shared.database, memoryEngine(), 1)
  const [agent, buyer] = await loggedInAll(a!, [4, 14])
  // The node's own handling of the first message breaks: its frames (the acknowledgement among them) are lost.
  const receive = a!.delivery.receive.bind(a!.delivery)
  let broken = 1
  a!.delivery.receive = (event) => {
    if (event.type === 'room_frame' && event.seq !== undefined && broken-- > 0) throw new Error('subscriber broke')
    receive(event)
  }
  agent.send(textMessage('một', { requestId: 'one' }))
  agent.send(textMessage('hai', { requestId: 'two' }))
  const first = await agent.next(isAnswer, 8000)
  const second = await agent.next(isAnswer, 8000)
  assert.deepEqual([first.requestId, first.result, first.message.seq], ['one', 'success', 1], 'the lost acknowledgement is sent directly')
  assert.deepEqual([second.requestId, second.result, second.message.seq], ['two', 'success', 2], 'in the order sent')
  assert.equal((await buyer.next(isMessage, 8000)).message.seq, 1, 'the lost broadcast is read back when the next message shows the gap')
  assert.equal((await buyer.next(isMessage)).message.seq, 2)
})

test('a publish that throws inside the store: the message is answered as stored and the queue goes on', async (t) => {
  const [a] = await startNodes(t, shared.database, memoryEngine(), 1)
  const agent = await loggedIn(a!, 4)
  const toRoom = a!.publisher.toRoom.bind(a!.publisher)
  let broken = 1
  a!.publisher.toRoom = (...args) => {
    if (broken-- > 0) throw new Error('publish broke')
    return toRoom(...args)
  }
  agent.send(textMessage('một', { requestId: 'one' }))
  agent.send(textMessage('hai', { requestId: 'two' }))
  const first = await agent.next(isAnswer)
  const second = await agent.next(isAnswer)
  assert.deepEqual([first.requestId, first.result, first.message.seq], ['one', 'success', 1])
  assert.deepEqual([second.requestId, second.result, second.message.seq], ['two', 'success', 2])
})
