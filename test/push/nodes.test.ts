import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp } from '../../src/app.js'
import { MemoryBus } from '../../src/broker/memory-bus.js'
import { registerDevice } from '../../src/chat/push-registrations.js'
import { seedDemoData } from '../../src/chat/demo.js'
import { listen, loggedIn, loggedInReal, TEST_CONFIG, textMessage, truncateAll, useDatabase } from '../helpers.js'
import { pushConfig, settled } from './helpers.js'
import { BrowserSubscription, FakePushService, vapidKeys } from './push-service.js'

const shared = useDatabase()

test('a worker on another node sees the focus and connection of a device on this node', async (t) => {
  const service = await new FakePushService().start()
  t.after(() => service.close())
  const keys = vapidKeys()
  await truncateAll(shared.database.db)
  await seedDemoData(shared.database.db)
  const bus = new MemoryBus()
  const node = async (extra: Record<string, string | number | boolean>) => {
    const app = await buildApp({ config: { ...TEST_CONFIG, ...pushConfig(keys, { PUSH_DELAY_MS: 600, ...extra }) }, database: shared.database, bus })
    t.after(() => app.close())
    await app.ready()
    return app
  }
  // Node A holds the sockets and sends nothing; node B only sends.
  const a = await node({ PUSH_WORKER: false })
  const b = await node({})
  const browser = new BrowserSubscription(`${service.origin}/push/14`)
  const json = browser.toJSON()
  await registerDevice(a.db, { userId: '14', deviceUuid: 'phone', provider: 'webpush', address: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth, locale: null })

  const desktop = await loggedInReal(a, await listen(a), 14, 'desktop')
  desktop.send({ command: 'room_focus', roomId: 1 })
  await desktop.request({ command: 'ping' })
  const sender = await loggedIn(a, 4)
  const looked = await sender.request(textMessage('đang xem'))
  b.push.messageStored()
  assert.deepEqual(await settled(a, looked.message.messageId), [{ userId: '14', state: 'skipped', attempts: 0 }])

  desktop.send({ command: 'room_focus', roomId: null })
  await desktop.request({ command: 'ping' })
  const idle = await sender.request(textMessage('máy tính để không'))
  b.push.messageStored()
  const [request] = await service.received(1, 30_000)
  assert.ok(request!.at - Date.parse(idle.message.createdAt) >= 600, 'connected on node A: pushed by node B only after the delay')
  assert.equal(JSON.parse(browser.decrypt(request!.body)).messageId, idle.message.messageId)
  assert.equal(service.requests.length, 1)
})
