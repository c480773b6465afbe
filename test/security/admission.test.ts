import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { build, connectReal, listen, tokenFor, useDatabase, type TestClient } from '../helpers.js'
import { buildLogged } from './log-capture.js'

const db = useDatabase()

const ALLOWED = 'https://app.example.com, https://admin.example.com'

/** Opens a socket and tells what became of the upgrade: 101 when it opened, else the HTTP status. */
function upgradeStatus (url: string, origin?: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...(origin !== undefined && { origin }), headers })
    ws.once('open', () => { ws.close(); resolve(101) })
    ws.once('unexpected-response', (_request, response) => { resolve(response.statusCode ?? 0); ws.terminate() })
    ws.once('error', (error) => { if (ws.readyState !== WebSocket.CLOSED) reject(error) })
  })
}

const originCases: Array<{ name: string, origin?: string, missingAllowed?: boolean, allowed?: string, status: number }> = [
  { name: 'an allowed origin', origin: 'https://app.example.com', status: 101 },
  { name: 'the second allowed origin', origin: 'https://admin.example.com', status: 101 },
  { name: 'a foreign origin', origin: 'https://evil.test', status: 403 },
  { name: 'a look-alike suffix', origin: 'https://app.example.com.evil.test', status: 403 },
  { name: 'a look-alike prefix', origin: 'https://app.example.co', status: 403 },
  { name: 'another scheme', origin: 'http://app.example.com', status: 403 },
  { name: 'the literal string null', origin: 'null', status: 403 },
  { name: 'no Origin header (native app, wscat)', status: 101 },
  { name: 'no Origin header when ALLOW_MISSING_ORIGIN=false', missingAllowed: false, status: 403 },
  { name: 'any origin when ALLOWED_ORIGINS is unset', origin: 'https://anything.test', allowed: '', status: 101 }
]

for (const originCase of originCases) {
  test(`origin check: ${originCase.name} → ${originCase.status}`, async (t) => {
    const app = await build(t, db.database, {
      ALLOWED_ORIGINS: originCase.allowed ?? ALLOWED,
      ALLOW_MISSING_ORIGIN: originCase.missingAllowed ?? true
    })
    assert.equal(await upgradeStatus(await listen(app), originCase.origin), originCase.status)
  })
}

test('a refused upgrade is logged with its origin', async (t) => {
  const { app, lines } = await buildLogged(t, db.database, { ALLOWED_ORIGINS: ALLOWED })
  assert.equal(await upgradeStatus(await listen(app), 'https://evil.test'), 403)
  const refusal = lines().find((line) => line.msg === 'upgrade refused: origin not allowed')
  assert.equal(refusal?.origin, 'https://evil.test')
})

test('over MAX_CONNECTIONS_PER_IP the upgrade is refused with 429; a closed socket frees its place', async (t) => {
  const app = await build(t, db.database, { MAX_CONNECTIONS_PER_IP: 3 })
  const url = await listen(app)
  const open: TestClient[] = []
  for (let i = 0; i < 3; i++) open.push(await connectReal(url))
  assert.equal(await upgradeStatus(url), 429)
  open[0]!.close()
  await open[0]!.closed
  // The server learns of the close a moment after the client.
  for (let i = 0; i < 50 && app.sessions.connectionsFrom('127.0.0.1') > 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(await upgradeStatus(url), 101)
  for (const client of open) client.close()
})

for (const trusted of [true, false]) {
  test(`TRUST_PROXY=${trusted}: the per-address limit counts ${trusted ? 'the forwarded client address' : 'the peer address, whatever X-Forwarded-For says'}`, async (t) => {
    const app = await build(t, db.database, { MAX_CONNECTIONS_PER_IP: 1, TRUST_PROXY: String(trusted) })
    const url = await listen(app)
    const from = (address: string) => ({ headers: { 'x-forwarded-for': address } })
    const first = await connectReal(url, from('203.0.113.7'))
    t.after(() => first.close())
    assert.equal(app.sessions.connectionsFrom(trusted ? '203.0.113.7' : '127.0.0.1'), 1)
    assert.equal(await upgradeStatus(url, undefined, from('203.0.113.7').headers), 429, 'same client again')
    assert.equal(await upgradeStatus(url, undefined, from('203.0.113.8').headers), trusted ? 101 : 429, 'another client behind the proxy')
  })
}

test('over MAX_DEVICES_PER_USER a new device is refused with "Not allowed"; the same device may take over', async (t) => {
  const app = await build(t, db.database, { MAX_DEVICES_PER_USER: 2 })
  const url = await listen(app)
  const login = async (uuid: string) => {
    const client = await connectReal(url)
    return { client, answer: await client.request({ command: 'user_login', userId: 14, token: tokenFor(app, 14), uuid }) }
  }
  const phone = await login('phone')
  const laptop = await login('laptop')
  assert.equal(phone.answer.result, 'success')
  assert.equal(laptop.answer.result, 'success')
  const tablet = await login('tablet')
  assert.deepEqual(tablet.answer, { command: 'user_login', result: 'failed', reason: 'Not allowed', code: 'FORBIDDEN' })
  // The refused socket stays open and unauthenticated; the logged-in devices keep working.
  assert.equal((await tablet.client.request({ command: 'user_message', roomId: 1, content: 'x', messageType: 'TEXT' })).code, 'NOT_AUTHENTICATED')
  assert.equal((await laptop.client.request({ command: 'user_message', roomId: 1, content: 'still in', messageType: 'TEXT' })).result, 'success')
  const phoneAgain = await login('phone')
  assert.equal(phoneAgain.answer.result, 'success')
  assert.equal((await phone.client.closedWithin()).code, 4002)
  laptop.client.close()
  await laptop.client.closedWithin()
  for (let i = 0; i < 50 && [...app.sessions.devices('14')].length > 1; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  const again = await tablet.client.request({ command: 'user_login', userId: 14, token: tokenFor(app, 14), uuid: 'tablet' })
  assert.equal(again.result, 'success')
})

test('a client that offers permessage-deflate gets no compression (no compression bombs, no zlib memory per socket)', async (t) => {
  const app = await build(t, db.database)
  const ws = new WebSocket(await listen(app), { perMessageDeflate: true })
  t.after(() => { ws.terminate() })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  assert.equal(ws.extensions, '')
})
