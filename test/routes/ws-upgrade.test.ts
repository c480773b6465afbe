import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connectReal, listen, useDatabase } from '../helpers.js'

const db = useDatabase()

test('GET /ws without an upgrade answers 426 Upgrade Required with a JSON body; a WebSocket still opens', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)
  const response = await fetch(url.replace('ws:', 'http:'))
  assert.equal(response.status, 426)
  assert.equal(response.headers.get('upgrade'), 'websocket')
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
  const body = await response.json() as { error: string, message: string }
  assert.equal(body.error, 'Upgrade Required')
  assert.match(body.message, /WebSocket/)

  const client = await connectReal(url)
  assert.equal((await client.request({ command: 'ping' })).command, 'pong')
  client.close()
})
