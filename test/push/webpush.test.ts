import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loggedIn, textMessage, useDatabase } from '../helpers.js'
import { leave, outboxOf, pushWorld, registrationCount, settled, subscribe, until, VAPID_SUBJECT } from './helpers.js'
import { verifyVapid } from './push-service.js'

const shared = useDatabase()

test('a message to an offline member arrives as one RFC 8291 push that the browser decrypts', async (t) => {
  const world = await pushWorld(t, shared.database)
  const { app, service } = world
  const { client, browser } = await subscribe(world, 14, 'phone')
  await leave(app, client, 14)
  const sender = await loggedIn(app, 4)
  const sent = await sender.request(textMessage('Xin chào, căn nhà còn không?'))
  assert.equal(sent.result, 'success')

  const [request] = await service.received(1)
  assert.equal(request!.path, '/push/14/phone')
  assert.equal(request!.headers['content-encoding'], 'aes128gcm')
  assert.equal(request!.headers.ttl, '3600')
  assert.equal(request!.headers.urgency, 'high')
  assert.equal(request!.headers.topic, '1')
  const claims = verifyVapid(request!.headers.authorization, world.keys.publicKey)
  assert.equal(claims.aud, service.origin)
  assert.equal(claims.sub, VAPID_SUBJECT)
  const now = Date.now() / 1000
  assert.ok(claims.exp > now && claims.exp <= now + 24 * 3600, `exp ${claims.exp} within 24 h`)
  assert.deepEqual(JSON.parse(browser.decrypt(request!.body)), {
    type: 'message',
    roomId: '1',
    messageId: sent.message.messageId,
    title: 'Bán nhà mặt phố Hà Nội',
    body: 'Nguyễn Văn A: Xin chào, căn nhà còn không?',
    badge: 1,
    tag: '1'
  })
  // Exactly one: the sender (who has no registration) gets none, and the row is finished.
  assert.deepEqual(await settled(app, sent.message.messageId), [{ userId: '14', state: 'sent', attempts: 0 }])
  assert.equal(service.requests.length, 1)
})

test('a long preview is cut by UTF-8 bytes to fit the push service limit; media get localized labels', async (t) => {
  const world = await pushWorld(t, shared.database)
  const { app, service } = world
  const vi = await subscribe(world, 14, 'phone')
  await leave(app, vi.client, 14)
  const sender = await loggedIn(app, 4)
  await sender.request(textMessage('ệ'.repeat(3900)))
  await sender.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', media: 'https://cdn.example/a.jpg' })
  const [long, image] = await service.received(2)
  assert.ok(long!.body.length <= 4096, `encrypted body ${long!.body.length} bytes`)
  const body = JSON.parse(vi.browser.decrypt(long!.body)).body as string
  assert.match(body, /^Nguyễn Văn A: ệ+…$/)
  assert.equal(JSON.parse(vi.browser.decrypt(image!.body)).body, 'Nguyễn Văn A: [Hình ảnh]')

  // The same device registering again with an English locale replaces its registration.
  const en = await subscribe(world, 14, 'phone', 'en-US')
  await leave(app, en.client, 14)
  assert.equal(await registrationCount(app, 14), 1)
  await sender.request({ command: 'user_message', roomId: 1, messageType: 'FILE', media: 'https://cdn.example/a.pdf', content: 'hợp đồng' })
  const [, , file] = await service.received(3)
  assert.equal(JSON.parse(en.browser.decrypt(file!.body)).body, 'Nguyễn Văn A: [File] hợp đồng')
})

test('410 deletes the registration; 500 is retried and succeeds later; 429 waits for Retry-After', async (t) => {
  const world = await pushWorld(t, shared.database)
  const { app, service } = world
  const { client } = await subscribe(world, 14, 'phone')
  await leave(app, client, 14)
  const sender = await loggedIn(app, 4)

  service.answer({ status: 500 }, { status: 503 })
  const retried = await sender.request(textMessage('first'))
  await service.received(3)
  assert.deepEqual(await settled(app, retried.message.messageId), [{ userId: '14', state: 'sent', attempts: 2 }])

  service.answer({ status: 429, headers: { 'retry-after': '1' } })
  const limited = await sender.request(textMessage('second'))
  const [, , , first, second] = await service.received(5)
  assert.ok(second!.at - first!.at >= 950, `retried after ${second!.at - first!.at} ms`)
  assert.equal((await settled(app, limited.message.messageId))[0]!.state, 'sent')

  service.answer({ status: 410 })
  const gone = await sender.request(textMessage('third'))
  await service.received(6)
  assert.equal((await settled(app, gone.message.messageId))[0]!.state, 'skipped', 'nothing was delivered')
  assert.equal(await registrationCount(app, 14), 0)
  // No registration, no outbox row, no push.
  const after = await sender.request(textMessage('fourth'))
  assert.deepEqual(await outboxOf(app, after.message.messageId), [])
  // Every send counted by provider and result: 500, 503 and 429 retried, two sent, one gone.
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  const sends = (result: string) => Number(new RegExp(`^chat_push_sends_total\\{provider="webpush",result="${result}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0)
  assert.deepEqual({ retry: sends('retry'), sent: sends('sent'), gone: sends('gone'), rejected: sends('rejected'), error: sends('error') }, { retry: 3, sent: 2, gone: 1, rejected: 0, error: 0 })
})

test('retries stop at PUSH_MAX_ATTEMPTS', async (t) => {
  const world = await pushWorld(t, shared.database, { PUSH_MAX_ATTEMPTS: 3 })
  const { app, service } = world
  const { client } = await subscribe(world, 14, 'phone')
  await leave(app, client, 14)
  const sender = await loggedIn(app, 4)
  service.answer({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 })
  const sent = await sender.request(textMessage('never'))
  assert.deepEqual(await settled(app, sent.message.messageId), [{ userId: '14', state: 'failed', attempts: 2 }])
  assert.equal(service.requests.length, 3)
})

test('a member showing the room gets no push; a muted member gets none', async (t) => {
  const world = await pushWorld(t, shared.database)
  const { app, service } = world
  const { client } = await subscribe(world, 14, 'phone')
  client.send({ command: 'room_focus', roomId: 1 })
  // room_focus has no answer: a ping behind it on the same socket is answered after it ran.
  await client.request({ command: 'ping' })
  const sender = await loggedIn(app, 4)
  const seen = await sender.request(textMessage('you are looking'))
  assert.deepEqual(await settled(app, seen.message.messageId), [{ userId: '14', state: 'skipped', attempts: 0 }])

  const muted = await client.request({ command: 'room_mute', roomId: 1 })
  assert.deepEqual({ muted: muted.muted, mutedUntil: muted.mutedUntil }, { muted: true, mutedUntil: null })
  await leave(app, client, 14)
  const quiet = await sender.request(textMessage('muted'))
  assert.deepEqual(await outboxOf(app, quiet.message.messageId), [])

  const back = await world.device(14, 'phone')
  const unmuted = await back.request({ command: 'room_mute', roomId: 1, until: null })
  assert.deepEqual({ muted: unmuted.muted, mutedUntil: unmuted.mutedUntil }, { muted: false, mutedUntil: null })
  await leave(app, back, 14)
  const loud = await sender.request(textMessage('unmuted'))
  await settled(app, loud.message.messageId)
  assert.equal(service.requests.length, 1, 'only the message after unmuting was pushed')
})

test('a connected member not looking is pushed after PUSH_DELAY_MS, unless they read first', async (t) => {
  const world = await pushWorld(t, shared.database, { PUSH_DELAY_MS: 800 })
  const { app, service } = world
  const { client, browser } = await subscribe(world, 14, 'phone')
  const sender = await loggedIn(app, 4)

  const read = await sender.request(textMessage('read me'))
  const answer = await client.request({ command: 'message_read', roomId: 1, messageId: read.message.messageId })
  assert.equal(answer.result, 'success')
  assert.deepEqual(await settled(app, read.message.messageId), [{ userId: '14', state: 'skipped', attempts: 0 }])

  const unread = await sender.request(textMessage('idle desktop'))
  const storedAt = Date.parse(unread.message.createdAt)
  const requests = await service.received(1)
  assert.ok(requests[0]!.at - storedAt >= 800, `pushed ${requests[0]!.at - storedAt} ms after the message`)
  assert.equal(JSON.parse(browser.decrypt(requests[0]!.body)).messageId, unread.message.messageId)
  assert.equal(service.requests.length, 1)
})

test('reading on one device sends a silent clear to the other devices; logout removes the registration', async (t) => {
  const world = await pushWorld(t, shared.database)
  const { app, service } = world
  const phone = await subscribe(world, 14, 'phone')
  await leave(app, phone.client, 14)
  const sender = await loggedIn(app, 4)
  const sent = await sender.request(textMessage('hello'))
  await service.received(1)
  await settled(app, sent.message.messageId)

  const desktop = await subscribe(world, 14, 'desktop')
  await desktop.client.request({ command: 'message_read', roomId: 1, messageId: sent.message.messageId })
  const [, clear] = await service.received(2)
  assert.equal(clear!.path, '/push/14/phone', 'not to the device that read')
  assert.equal(clear!.headers.topic, '1')
  assert.equal(clear!.headers.urgency, 'normal')
  assert.deepEqual(JSON.parse(phone.browser.decrypt(clear!.body)), { type: 'clear', roomId: '1', messageId: sent.message.messageId, badge: 0, tag: '1' })

  assert.equal(await registrationCount(app, 14), 2)
  const bye = await desktop.client.request({ command: 'user_logout' })
  assert.equal(bye.result, 'success')
  assert.equal(await registrationCount(app, 14), 1)
  const gone = await (await world.device(14, 'phone')).request({ command: 'push_unregister' })
  assert.equal(gone.result, 'success')
  assert.equal(await registrationCount(app, 14), 0)
  await until(() => service.requests.length === 2)
})
