import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connectReal, listen, textMessage, tokenFor, useDatabase, type TestClient } from '../helpers.js'

const db = useDatabase()

const logIn = async (client: TestClient, app: Parameters<typeof tokenFor>[0], userId: number, uuid: string) => {
  const answer = await client.request({ command: 'user_login', userId, token: tokenFor(app, userId), uuid })
  assert.equal(answer.result, 'success')
}

test('a socket that stops answering pings is terminated; one that answers stays', async (t) => {
  const app = await build(t, db.database, { HEARTBEAT_INTERVAL_MS: 200 })
  const url = await listen(app)
  // A phone that lost its signal: the TCP connection stays, but pings go unanswered.
  const silent = await connectReal(url, { autoPong: false })
  const healthy = await connectReal(url)
  await logIn(silent, app, 4, 'lost-phone')
  await logIn(healthy, app, 14, 'tablet')

  const { code } = await silent.closedWithin(3000)
  assert.equal(code, 1006, 'cut without a close handshake')
  // The healthy socket outlived several heartbeats and still chats; the dead device gets nothing.
  await healthy.settle(500)
  assert.equal(healthy.ws.readyState, healthy.ws.OPEN)
  assert.equal((await healthy.request(textMessage('còn ai không?'))).result, 'success')
  assert.deepEqual(silent.pending(), [])
})
