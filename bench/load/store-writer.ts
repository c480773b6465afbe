/**
 * One writer of the `writers` scenario, in a process of its own as a node would be: it stores messages
 * into its share of the pair rooms through the project's MessageStore (one batch in flight at a time,
 * group commit), keeping `inflight` messages outstanding, for `ms` milliseconds, then reports how many
 * were stored. Run by bench/scenarios/writers.ts through fork().
 */
import { openDatabase } from '../../src/db/client.js'
import { MessageStore, type NewMessage } from '../../src/chat/message-store.js'
import { CHANGE_ORDER_LOCK } from '../../src/chat/change-order.js'
import { PAIR_ROOMS } from '../lib/database.js'

interface Order { databaseUrl: string, index: number, count: number, ms: number, inflight: number, ownLock: boolean }

const order = await new Promise<Order>((resolve) => process.once('message', (message) => resolve(message as Order)))
const database = await openDatabase({ url: order.databaseUrl, poolMax: 4, migrate: false })
// With `ownLock`, writers no longer serialize on the change-order lock: what removing it would give.
const store = new MessageStore(database.db, { onStored: () => {}, onError: () => {} }, order.ownLock ? { changeOrderLock: CHANGE_ORDER_LOCK + 1 + order.index } : {})
// Every writer starts together, once all have loaded and connected.
process.send!({ ready: true })
await new Promise((resolve) => process.once('message', resolve))
const rooms = Array.from({ length: PAIR_ROOMS }, (_, index) => index + 1).filter((room) => room % order.count === order.index)
let stored = 0
let failed = 0
let next = 0
const until = Date.now() + order.ms
const lane = async () => {
  while (Date.now() < until) {
    const room = rooms[next++ % rooms.length]!
    const input: NewMessage = {
      roomId: String(room),
      sender: { userId: String(2 * room), fullname: `Bench user ${2 * room}`, avatar: null, primaryRole: 'USER' },
      content: `writer ${order.index} message ${next}`,
      messageType: 'TEXT',
      media: null,
      clientMessageId: null,
      replyToMessageId: null
    }
    const result = await store.submit(input)
    if (result.ok) stored++
    else failed++
  }
}
await Promise.all(Array.from({ length: order.inflight }, lane))
await store.drain()
await database.close()
process.send!({ stored, failed })
process.disconnect()
