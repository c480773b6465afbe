import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp } from '../../src/app.js'
import { registerDevice } from '../../src/chat/push-registrations.js'
import { members, users } from '../../src/db/schema.js'
import { build, loggedIn, TEST_CONFIG, textMessage, useDatabase } from '../helpers.js'
import { pushConfig, settled } from './helpers.js'
import { BrowserSubscription, FakePushService, vapidKeys } from './push-service.js'

const shared = useDatabase()

const RECIPIENTS = 15
const MESSAGES = 4

test('two workers on one outbox send every row exactly once', async (t) => {
  const service = await new FakePushService().start()
  t.after(() => service.close())
  const keys = vapidKeys()
  // Generous limits: a send that times out on a loaded machine is retried by the same worker, which is
  // not what this test is about (two workers taking the same row).
  const config = pushConfig(keys, { PUSH_SEND_TIMEOUT_MS: 30_000, PUSH_LEASE_MS: 90_000 })
  const first = await build(t, shared.database, config)
  const second = await buildApp({ config: { ...TEST_CONFIG, ...config }, database: shared.database })
  t.after(() => second.close())
  await second.ready()

  // Offline members of room 1, each with a browser subscription.
  const browsers = new Map<string, BrowserSubscription>()
  for (let n = 0; n < RECIPIENTS; n++) {
    const [user] = await first.db.insert(users).values({ fullname: `Người mua ${n}` }).returning({ id: users.id })
    await first.db.insert(members).values({ roomId: '1', userId: user!.id })
    const browser = new BrowserSubscription(`${service.origin}/push/${user!.id}`)
    browsers.set(`/push/${user!.id}`, browser)
    const json = browser.toJSON()
    await registerDevice(first.db, { userId: user!.id, deviceUuid: 'browser', provider: 'webpush', address: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth, locale: null })
  }

  const sender = await loggedIn(first, 4)
  const messageIds: string[] = []
  for (let n = 0; n < MESSAGES; n++) {
    const sent = await sender.request(textMessage(`tin ${n}`))
    messageIds.push(sent.message.messageId)
    // Both nodes look at once: the rows are fought over.
    second.push.messageStored()
  }
  const requests = await service.received(RECIPIENTS * MESSAGES, 60_000)
  for (const messageId of messageIds) {
    const rows = await settled(first, messageId)
    assert.equal(rows.length, RECIPIENTS)
    assert.ok(rows.every((row) => row.state === 'sent'))
  }
  const seen = new Map<string, number>()
  for (const request of requests) {
    const pushed = JSON.parse(browsers.get(request.path)!.decrypt(request.body)) as { messageId: string }
    const key = `${request.path} ${pushed.messageId}`
    seen.set(key, (seen.get(key) ?? 0) + 1)
  }
  assert.equal(seen.size, RECIPIENTS * MESSAGES)
  assert.ok([...seen.values()].every((count) => count === 1), 'no row was sent twice')
  assert.equal(service.requests.length, RECIPIENTS * MESSAGES)
})
