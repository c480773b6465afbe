import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connectReal } from '../helpers.js'
import { childEnv, runNode, SERVER } from './processes.js'

test('npm start with logs not on a terminal: JSON lines only, the wscat lines a record after "Server listening", their tokens work', { timeout: 120_000 }, async (t) => {
  const server = runNode(t, SERVER, childEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', PGLITE_DIR: 'memory://', DEMO_SEED: 'true' }))
  await server.line(/try it with wscat/)
  const records = server.stdout.trim().split('\n').map((line) => {
    assert.doesNotThrow(() => JSON.parse(line), `a log record, not raw text: ${line}`)
    return JSON.parse(line) as { msg: string, wscat?: string[] }
  })
  const listening = records.findIndex((record) => record.msg.startsWith('Server listening'))
  const wscat = records.findIndex((record) => record.wscat !== undefined)
  assert.ok(listening >= 0 && wscat > listening, 'the wscat lines come after "Server listening"')

  const [connectLine, login4] = records[wscat]!.wscat!
  const url = /^wscat -c (ws:\/\/\S+)$/.exec(connectLine!)?.[1]
  assert.ok(url !== undefined, connectLine)
  const client = await connectReal(url)
  const answer = await client.request(JSON.parse(login4!), 10_000)
  assert.equal(answer.result, 'success')
  assert.equal(answer.user.userId, '4')
  client.close()
})
