import { test } from 'node:test'
import assert from 'node:assert/strict'
import { verify } from 'node:crypto'
import { build, listen, loggedIn, loggedInReal, textMessage, useDatabase } from '../helpers.js'
import { leave, registrationCount, serviceAccount, settled } from './helpers.js'
import { FakePushService, type PushRequest } from './push-service.js'

const shared = useDatabase()

/** Google's token endpoint, played locally: checks the signed assertion and hands out an access token. */
function tokenEndpoint (publicKey: ReturnType<typeof serviceAccount>['publicKey'], grants: Array<Record<string, unknown>>) {
  return (request: PushRequest) => {
    if (request.path !== '/token') return undefined
    const assertion = new URLSearchParams(request.body.toString()).get('assertion') ?? ''
    const [header, payload, signature] = assertion.split('.')
    const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature ?? '', 'base64url'))
    if (!ok) return { status: 400, body: JSON.stringify({ error: 'invalid_grant' }) }
    grants.push(JSON.parse(Buffer.from(payload!, 'base64url').toString()))
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: 'test-access-token', expires_in: 3600, token_type: 'Bearer' }) }
  }
}

test('FCM HTTP v1: OAuth2 token from the service account, the message shape, and UNREGISTERED deletes the token', async (t) => {
  const service = await new FakePushService().start()
  t.after(() => service.close())
  const { account, publicKey } = serviceAccount()
  const grants: Array<Record<string, unknown>> = []
  service.route = tokenEndpoint(publicKey, grants)
  const app = await build(t, shared.database, {
    FCM_SERVICE_ACCOUNT_JSON: JSON.stringify(account),
    FCM_ENDPOINT: service.origin,
    FCM_TOKEN_URL: `${service.origin}/token`,
    PUSH_POLL_MS: 50,
    PUSH_SEND_TIMEOUT_MS: 2000,
    PUSH_LEASE_MS: 5000
  })
  const url = await listen(app)

  // Web Push is not configured here: a browser subscription is refused with the protocol's words.
  const phone = await loggedInReal(app, url, 14, 'android-1')
  const refused = await phone.request({ command: 'push_register', provider: 'webpush', subscription: { endpoint: 'https://push.example/1', keys: { p256dh: 'x', auth: 'y' } } })
  assert.equal(refused.reason, 'Invalid message format')
  assert.equal(refused.errors[0].path, '/provider')
  const registered = await phone.request({ command: 'push_register', provider: 'fcm', token: 'fcm-token-of-android-1' })
  assert.equal(registered.result, 'success')
  await leave(app, phone, 14)

  const sender = await loggedIn(app, 4)
  const sent = await sender.request(textMessage('Giá bao nhiêu?'))
  const [request] = await service.received(1)
  assert.equal(request!.path, '/v1/projects/bdsthat-test/messages:send')
  assert.equal(request!.headers.authorization, 'Bearer test-access-token')
  assert.equal(grants.length, 1)
  assert.equal(grants[0]!.iss, account.client_email)
  assert.equal(grants[0]!.scope, 'https://www.googleapis.com/auth/firebase.messaging')
  const { message } = JSON.parse(request!.body.toString())
  assert.equal(message.token, 'fcm-token-of-android-1')
  assert.deepEqual(message.android, { collapse_key: '1', priority: 'high', ttl: '3600s' })
  assert.deepEqual(message.data, {
    type: 'message', roomId: '1', messageId: sent.message.messageId, badge: '1',
    title: 'Bán nhà mặt phố Hà Nội', body: 'Nguyễn Văn A: Giá bao nhiêu?'
  })
  assert.equal(message.apns.headers['apns-collapse-id'], '1')
  assert.equal(message.notification, undefined, 'a data message: the app shows it once')
  assert.equal((await settled(app, sent.message.messageId))[0]!.state, 'sent')

  service.answer({
    status: 404,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 404, status: 'NOT_FOUND', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] } })
  })
  const second = await sender.request(textMessage('Còn không?'))
  await service.received(2)
  await settled(app, second.message.messageId)
  assert.equal(await registrationCount(app, 14), 0)
  // The access token was cached: one grant for both sends.
  assert.equal(grants.length, 1)
})
