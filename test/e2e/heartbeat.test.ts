import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, listen, loggedIn, tokenFor, useDatabase } from '../helpers.js'
import { childEnv, runNode } from '../entry/processes.js'

const db = useDatabase()

test('a socket that stops answering pings is terminated; one that answers stays', async (t) => {
  const app = await build(t, db.database, { HEARTBEAT_INTERVAL_MS: 300 })
  const url = await listen(app)
  // The healthy device runs in a process of its own: were it in this one, a stalled event loop here would
  // delay its pongs along with the server's timers, and a loaded machine would cut it.
  const healthy = runNode(t, ['--import', 'tsx', 'test/e2e/heartbeat-peer.ts', url, '14', tokenFor(app, 14)], childEnv())
  await healthy.line(/^frame .*"user_login".*"success"/)
  // A phone that lost its signal: the TCP connection stays, but pings go unanswered.
  const silent = await loggedIn(app, 4, 'lost-phone', { url, socket: { autoPong: false } })

  const { code } = await silent.closedWithin(10_000)
  assert.equal(code, 1006, 'cut without a close handshake')
  // The healthy device outlived three heartbeats and still chats; the dead one got nothing meanwhile.
  const ack = JSON.parse((await healthy.line(/^frame .*"requestId":"after-pings"/)).slice('frame '.length))
  assert.equal(ack.result, 'success')
  assert.doesNotMatch(healthy.stdout, /^closed/m)
  assert.equal([...app.sessions.devices('14')].length, 1)
  assert.deepEqual(silent.pending(), [])
})
