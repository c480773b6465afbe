import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, listen, loggedIn, textMessage, useDatabase } from '../helpers.js'

const db = useDatabase()

test('a socket that stops answering pings is terminated; one that answers stays', async (t) => {
  const app = await build(t, db.database, { HEARTBEAT_INTERVAL_MS: 200 })
  const url = await listen(app)
  // A phone that lost its signal: the TCP connection stays, but pings go unanswered.
  const silent = await loggedIn(app, 4, 'lost-phone', { url, socket: { autoPong: false } })
  const healthy = await loggedIn(app, 14, 'tablet', { url })

  const { code } = await silent.closedWithin(3000)
  assert.equal(code, 1006, 'cut without a close handshake')
  // The healthy socket outlived several heartbeats and still chats; the dead device gets nothing.
  await healthy.settle(500)
  assert.equal(healthy.ws.readyState, healthy.ws.OPEN)
  assert.equal((await healthy.request(textMessage('còn ai không?'))).result, 'success')
  assert.deepEqual(silent.pending(), [])
})
