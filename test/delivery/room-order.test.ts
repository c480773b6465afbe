import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import type { RoomFrameEvent } from '../../src/broker/types.js'
import { RoomOrder } from '../../src/delivery/room-order.js'

const message = (seq: number, ack?: string): RoomFrameEvent => ({
  type: 'room_frame', roomId: '1', seq, userIds: ['4'], frame: `m${seq}`,
  ...(ack !== undefined && { origin: { connectionId: 'c', ack } })
})
const other = (frame: string): RoomFrameEvent => ({ type: 'room_frame', roomId: '1', userIds: ['4'], frame })

/** A room order that records what it hands out; `fill` answers from `stored` and says when it ran. */
function recorder (stored: RoomFrameEvent[] = []) {
  const delivered: string[] = []
  const late: string[] = []
  const fills: Array<[number, number]> = []
  let filled: () => void = () => {}
  const fillDone = new Promise<void>((resolve) => { filled = resolve })
  const order = new RoomOrder({
    deliver: (event) => { delivered.push(event.frame) },
    deliverLate: (event) => { late.push(event.origin?.ack ?? `late ${event.frame}`) },
    fill: async (_roomId, from, to) => {
      fills.push([from, to])
      setImmediate(filled)
      return stored.filter((event) => event.seq! >= from && event.seq! <= to)
    },
    gapWaitMs: 5,
    log: pino({ level: 'silent' })
  })
  // The order's timers do not keep a process alive (unref'd); the test waits for them.
  const alive = setInterval(() => {}, 1000)
  const close = () => { clearInterval(alive); order.close() }
  return { order, delivered, late, fills, fillDone, close }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

test('messages that come out of order are handed out in seq order, the room\'s other events behind them', () => {
  const { order, delivered, fills, close } = recorder()
  order.startAt('1', 0)
  order.receive(message(2))
  order.receive(other('edit of 2'))
  order.receive(message(3))
  assert.deepEqual(delivered, [], 'nothing before seq 1')
  order.receive(message(1))
  assert.deepEqual(delivered, ['m1', 'm2', 'edit of 2', 'm3'])
  assert.deepEqual(fills, [], 'no gap was left to read')
  close()
})

test('a predecessor that never comes is read from the database after the wait, then the held ones follow', async () => {
  const { order, delivered, fills, fillDone, close } = recorder([message(1), message(2)])
  order.startAt('1', 0)
  order.receive(message(3))
  order.receive(message(4))
  await fillDone
  await settle()
  assert.deepEqual(fills, [[1, 2]])
  assert.deepEqual(delivered, ['m1', 'm2', 'm3', 'm4'])
  close()
})

test('an older frame than the node handed out is dropped; a sender\'s acknowledgement in it still goes', () => {
  const { order, delivered, late, close } = recorder()
  order.receive(message(5))
  order.receive(message(5))
  order.receive(message(4, 'ack of 4'))
  assert.deepEqual(delivered, ['m5'])
  assert.deepEqual(late, ['late m5', 'ack of 4'])
  close()
})

test('a room that has no baseline starts at the first message it sees', () => {
  const { order, delivered, close } = recorder()
  order.receive(message(40))
  order.receive(message(41))
  order.receive(other('typing'))
  assert.deepEqual(delivered, ['m40', 'm41', 'typing'])
  close()
})

test('a gap the database cannot fill is skipped: the held messages go out, clients sync the rest', async () => {
  const { order, delivered, fillDone, close } = recorder([])
  order.startAt('1', 0)
  order.receive(message(2))
  await fillDone
  await settle()
  assert.deepEqual(delivered, ['m2'])
  order.receive(message(3))
  assert.deepEqual(delivered, ['m2', 'm3'])
  close()
})
