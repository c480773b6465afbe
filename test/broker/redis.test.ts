import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { RedisBroker } from '../../src/broker/redis.js'
import type { Channel } from '../../src/broker/types.js'
import { connectRedis, openRedis } from '../../src/redis/connection.js'
import { uniquePrefix } from '../cluster/nodes.js'
import { startPrivateRedis } from '../cluster/redis-server.js'

const redisUrl = process.env.REDIS_URL
const skip = redisUrl === undefined || redisUrl === '' ? 'needs Redis: set REDIS_URL' : false
const quiet = pino({ level: 'silent' })
/** An event whose frame is the text to look for. */
const note = (text: string) => ({ type: 'user_frame' as const, userIds: ['4'], frame: text })

async function brokerOn (t: TestContext, url: string, nodeId: string, prefix: string) {
  const publisher = openRedis(url, 'publish', quiet)
  const subscriber = openRedis(url, 'subscribe', quiet, { autoResubscribe: false })
  const broker = new RedisBroker(publisher, subscriber, { nodeId, prefix, log: quiet })
  await Promise.all([connectRedis(publisher), connectRedis(subscriber)])
  const received: Array<{ channel: Channel, text: string }> = []
  let wake = () => {}
  broker.onEvent((event, channel) => { received.push({ channel, text: event.type === 'user_frame' ? event.frame : event.type }); wake() })
  t.after(async () => { await broker.close(); publisher.disconnect() })
  const until = async (count: number) => {
    while (received.length < count) await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 50) })
  }
  return { broker, received, until }
}

test('an event reaches the nodes subscribed to its channel once, its own node included, and no other', { skip }, async (t) => {
  const prefix = uniquePrefix()
  const a = await brokerOn(t, redisUrl!, 'a', prefix)
  const b = await brokerOn(t, redisUrl!, 'b', prefix)
  const c = await brokerOn(t, redisUrl!, 'c', prefix)
  await a.broker.subscribe(['room:1'])
  await b.broker.subscribe(['room:1', 'user:4'])
  await c.broker.subscribe(['room:2'])
  await a.broker.publish('room:1', note('first'))
  await b.until(1)
  await b.broker.publish('user:4', note('to 4'))
  // A marker on a channel everyone listens to: what came before it on each node is all there is.
  for (const node of [a, b, c]) await node.broker.subscribe(['node:all'])
  await c.broker.publish('node:all', note('marker'))
  await Promise.all([a.until(2), b.until(3), c.until(1)])
  assert.deepEqual(a.received.map((note) => note.text), ['first', 'marker'])
  assert.deepEqual(b.received.map((note) => note.text), ['first', 'to 4', 'marker'])
  assert.deepEqual(c.received.map((note) => note.text), ['marker'], 'room:1 and user:4 never reached a node not subscribed to them')

  await b.broker.unsubscribe(['room:1'])
  await a.broker.publish('room:1', note('second'))
  await c.broker.publish('node:all', note('marker 2'))
  await b.until(4)
  assert.deepEqual(b.received.slice(3).map((note) => note.text), ['marker 2'], 'unsubscribed: room:1 no longer reaches b')
})

test('Redis restarting: publishing fails at once meanwhile, and the subscriptions come back by themselves', { skip }, async (t) => {
  const redis = await startPrivateRedis()
  t.after(() => redis.destroy())
  const prefix = uniquePrefix()
  const a = await brokerOn(t, redis.url, 'a', prefix)
  const b = await brokerOn(t, redis.url, 'b', prefix)
  let resumed = 0
  b.broker.onResume(() => { resumed++ })
  await b.broker.subscribe(['room:1'])
  await redis.stop()
  // Once the connection has noticed, a publish fails at once instead of waiting in a queue.
  while (a.broker.healthy()) await new Promise((resolve) => setTimeout(resolve, 20))
  await assert.rejects(a.broker.publish('room:1', note('while down')), /writeable|closed|Connection/i)
  await redis.start()
  while (!(a.broker.healthy() && b.broker.healthy() && resumed > 0)) await new Promise((resolve) => setTimeout(resolve, 50))
  // Resubscribing is done before resume is announced.
  await a.broker.publish('room:1', note('after'))
  await b.until(1)
  assert.deepEqual(b.received.map((note) => note.text), ['after'])
})
