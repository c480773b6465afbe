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
  const body = await response.json() as { result: string, code: string, errors: Array<{ message: string }> }
  assert.equal(body.result, 'failed')
  assert.equal(body.code, 'INVALID_FORMAT')
  assert.match(body.errors[0]!.message, /WebSocket endpoint/)

  const client = await connectReal(url)
  assert.equal((await client.request({ command: 'ping' })).command, 'pong')
  client.close()
})
