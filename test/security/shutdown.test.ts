import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inArray } from 'drizzle-orm'
import { loadConfig } from '../../src/config.js'
import { openDatabase, type Database } from '../../src/db/client.js'
import { messages } from '../../src/db/schema.js'
import { loggedIn, onPostgres, TEST_CONFIG, useDatabase, type TestClient } from '../helpers.js'
import { freePort } from './private-cluster.js'

const db = useDatabase()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends messages with clientMessageIds, `lanes` at a time, until the socket closes; returns the acknowledged ids. */
async function talk (client: TestClient, userId: number, lanes: number): Promise<Set<string>> {
  const acknowledged = new Set<string>()
  let next = 0
  const lane = async () => {
    while (client.ws.readyState === client.ws.OPEN) {
      const clientMessageId = `u${userId}-${next++}`
      client.send({ command: 'user_message', roomId: 1, content: `tin ${clientMessageId}`, messageType: 'TEXT', clientMessageId, requestId: clientMessageId })
      const answer = await client.next((frame) => frame.requestId === clientMessageId, 5000).catch(() => undefined)
      if (answer?.result === 'success') acknowledged.add(clientMessageId)
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  return acknowledged
}

test('SIGTERM mid-traffic: in-flight stores finish, sockets close with 1001, and every acknowledged message is stored exactly once', async (t) => {
  const port = await freePort()
  const pgliteDir = mkdtempSync(join(tmpdir(), 'chat-shutdown-'))
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    JWT_SECRET: TEST_CONFIG.JWT_SECRET as string,
    DEMO_SEED: 'true',
    RATE_LIMIT_PER_S: '100000',
    RATE_LIMIT_BURST: '100000',
    DATABASE_URL: onPostgres ? db.url! : '',
    // One node alone: the machine's Redis (set for the multi-node suites) is shared with other test runs.
    REDIS_URL: '',
    PGLITE_DIR: pgliteDir
  }
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: process.cwd(), env, stdio: ['ignore', 'ignore', 'inherit'] })
  const exited = once(server, 'exit')
  t.after(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL')
      await exited
    }
    rmSync(pgliteDir, { recursive: true, force: true })
  })
  // A first start creates the embedded database: slow on a busy machine.
  let up = false
  for (let i = 0; i < 1200 && !up; i++) {
    up = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false)
    if (!up) await sleep(100)
  }
  assert.ok(up, 'the server started')

  const config = loadConfig({ JWT_SECRET: env.JWT_SECRET })
  const url = `ws://127.0.0.1:${port}/ws`
  const clients = await Promise.all([4, 14].map(async (userId) => {
    const client = await loggedIn({ config }, userId, `shutdown-${userId}`, { url, timeoutMs: 10_000 })
    return { userId, client }
  }))
  const talking = clients.map(({ userId, client }) => talk(client, userId, 4))
  await sleep(800)
  server.kill('SIGTERM')
  const acknowledged = new Set((await Promise.all(talking)).flatMap((ids) => [...ids]))
  for (const { client } of clients) assert.equal((await client.closedWithin(5000)).code, 1001)
  const [exitCode] = await exited
  assert.equal(exitCode, 0)
  assert.ok(acknowledged.size > 0, 'some messages were acknowledged before the shutdown')

  // The server's own database, read after it exited (its PGlite directory, closed before it is removed).
  const database: Database = onPostgres ? db.database : await openDatabase({ pgliteDir })
  const ids = [...acknowledged]
  const sentIds = clients.flatMap(({ userId }) => Array.from({ length: 2000 }, (_, n) => `u${userId}-${n}`))
  let stored: Array<{ clientMessageId: string | null }>
  try {
    stored = await database.db.select({ clientMessageId: messages.clientMessageId }).from(messages).where(inArray(messages.clientMessageId, sentIds))
  } finally {
    if (!onPostgres) await database.close()
  }
  const storedIds = stored.map((row) => row.clientMessageId!)
  assert.equal(new Set(storedIds).size, storedIds.length, 'no message stored twice')
  assert.deepEqual(storedIds.sort(), ids.sort(), 'stored exactly the acknowledged messages')
  t.diagnostic(`${ids.length} messages acknowledged and stored before the shutdown`)
})
