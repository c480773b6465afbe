import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { RedisPresence } from '../../src/presence/redis.js'
import { connectRedis, openRedis } from '../../src/redis/connection.js'
import { uniquePrefix } from '../cluster/nodes.js'
import { startPrivateRedis } from '../cluster/redis-server.js'

const redisUrl = process.env.REDIS_URL
const skip = redisUrl === undefined || redisUrl === '' ? 'needs Redis: set REDIS_URL' : false
const quiet = { warn: () => {}, info: () => {} }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function node (t: import('node:test').TestContext, nodeId: string, prefix: string, leaseMs: number) {
  const redis = new Redis(redisUrl!)
  const presence = new RedisPresence(redis, { prefix, nodeId, leaseMs, log: quiet })
  t.after(async () => { await presence.close(); redis.disconnect() })
  return { redis, presence }
}

test('a user is online while any device is connected on any node, and the query answers many users at once', { skip }, async (t) => {
  const prefix = uniquePrefix()
  const a = node(t, 'node-a', prefix, 10_000)
  const b = node(t, 'node-b', prefix, 10_000)
  await a.presence.connected('4', 'phone')
  await b.presence.connected('4', 'laptop')
  await b.presence.connected('14', 'phone')
  assert.deepEqual([...await a.presence.online(['4', '14', '15'])].sort(), ['14', '4'])

  await a.presence.disconnected('4', 'phone')
  assert.deepEqual([...await a.presence.online(['4'])], ['4'], 'the laptop on node b keeps user 4 online')
  await b.presence.disconnected('4', 'laptop')
  assert.deepEqual([...await a.presence.online(['4', '14'])], ['14'])
})

test('devices carry their node and room focus; a takeover\'s old node leaving does not erase the new entry', { skip }, async (t) => {
  const prefix = uniquePrefix()
  const a = node(t, 'node-a', prefix, 10_000)
  const b = node(t, 'node-b', prefix, 10_000)
  await a.presence.connected('4', 'phone')
  await b.presence.connected('4', 'phone')
  await b.presence.focused('4', 'phone', '1')
  await a.presence.disconnected('4', 'phone')
  const devices = await a.presence.devicesOf(['4', '14'])
  const [device, ...others] = devices.get('4') ?? []
  assert.deepEqual(others, [])
  const { since, ...rest } = device!
  assert.deepEqual(rest, { userId: '4', uuid: 'phone', nodeId: 'node-b', focusRoomId: '1' })
  assert.equal(typeof since, 'number', 'when the device logged in')
  assert.deepEqual(devices.get('14'), [])
})

test('a node that stops renewing loses its users once the lease has run out; a live node keeps them', { skip }, async (t) => {
  const prefix = uniquePrefix()
  const leaseMs = 600
  const live = node(t, 'node-live', prefix, leaseMs)
  const dying = node(t, 'node-dying', prefix, leaseMs)
  await live.presence.connected('4', 'phone')
  await dying.presence.connected('14', 'phone')
  // The dying node loses its connection to Redis: no goodbye, no renewal.
  dying.redis.disconnect()
  const cutAt = Date.now()
  let gone = false
  while (!gone && Date.now() - cutAt < 10 * leaseMs) {
    gone = !(await live.presence.online(['14'])).has('14')
    if (!gone) await sleep(50)
  }
  assert.ok(gone, 'user 14 went offline')
  assert.deepEqual([...await live.presence.online(['4'])], ['4'], 'renewed through several leases')
})

test('Redis losing its data is repaired by the next renewal', { skip }, async (t) => {
  const prefix = uniquePrefix()
  const a = node(t, 'node-a', prefix, 600)
  await a.presence.connected('4', 'phone')
  await a.redis.del(`${prefix}online:{4}`, `${prefix}devices:{4}`)
  assert.equal((await a.presence.online(['4'])).size, 0)
  await a.presence.renew()
  assert.deepEqual([...await a.presence.online(['4'])], ['4'])
  assert.equal((await a.presence.devices('4')).length, 1)
})

test('the users of a node that died are named once, by one live node, except those online elsewhere', { skip }, async (t) => {
  const prefix = uniquePrefix()
  const leaseMs = 400
  const live = node(t, 'node-live', prefix, leaseMs)
  const other = node(t, 'node-other', prefix, leaseMs)
  const dying = node(t, 'node-dying', prefix, leaseMs)
  const heard: string[][] = []
  live.presence.onGone((userIds) => { heard.push([...userIds].sort()) })
  other.presence.onGone((userIds) => { heard.push([...userIds].sort()) })
  await dying.presence.connected('14', 'phone')
  await dying.presence.connected('15', 'phone')
  await live.presence.connected('15', 'laptop')
  dying.redis.disconnect()
  await sleep(leaseMs + 50)
  await Promise.all([live.presence.sweep(), other.presence.sweep()])
  assert.deepEqual(heard, [['14']], '15 still has a device on a live node')
  await Promise.all([live.presence.sweep(), other.presence.sweep()])
  assert.equal(heard.length, 1, 'a swept node is forgotten')
})

test('a Redis that restarted empty gets this node\'s devices back as soon as it answers, not a renewal later', { skip }, async (t) => {
  const server = await startPrivateRedis()
  t.after(() => server.destroy())
  const redis = openRedis(server.url, 'presence', quiet)
  await connectRedis(redis)
  // A lease far longer than the test: only the reconnection can write the device again.
  const presence = new RedisPresence(redis, { prefix: uniquePrefix(), nodeId: 'node-a', leaseMs: 600_000, log: quiet })
  t.after(() => presence.close())
  await presence.connected('4', 'phone')
  await server.stop()
  await server.start()
  const deadline = Date.now() + 10_000
  while (redis.status !== 'ready' && Date.now() < deadline) await sleep(20)
  // Read from Redis itself (`online` would answer from this node's own devices while Redis is away).
  let online = false
  while (!online && Date.now() < deadline) {
    online = await presence.devicesOf(['4']).then((devices) => devices.get('4')?.length === 1, () => false)
    if (!online) await sleep(20)
  }
  assert.ok(online, 'user 4 is online again')
})
