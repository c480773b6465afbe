import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { count, eq } from 'drizzle-orm'
import postgres from 'postgres'
import type { FastifyInstance } from 'fastify'
import { chatRooms, messages } from '../../src/db/schema.js'
import { openDatabase, type Database } from '../../src/db/client.js'
import { build, connect, loggedInAll, onPostgres, receivedSoFar, type TestClient } from '../helpers.js'
import { createPrivateCluster } from './private-cluster.js'
import { useDatabase } from '../helpers.js'

const db = useDatabase()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const BUSY = { command: 'user_message', result: 'failed', reason: 'Server is busy, try again', code: 'UNAVAILABLE' }
const send = (client: TestClient, content: string, timeoutMs = 10_000) =>
  client.request({ command: 'user_message', roomId: 1, content, messageType: 'TEXT' }, timeoutMs)

/** What is stored of room 1: its message rows and the room's own counter (they move together or not at all). */
async function roomState (app: FastifyInstance) {
  const [rows] = await app.db.select({ stored: count() }).from(messages).where(eq(messages.roomId, '1'))
  const [room] = await app.db.select({ lastSeq: chatRooms.lastSeq }).from(chatRooms).where(eq(chatRooms.id, '1'))
  return { stored: rows!.stored, lastSeq: room!.lastSeq }
}

/** The sender and another member of room 1, with one message stored so that statements are prepared. */
async function roomOfTwo (app: FastifyInstance) {
  const [sender, member] = await loggedInAll(app, [4, 14])
  assert.equal((await send(sender, 'trước sự cố')).result, 'success')
  await member.next((frame) => frame.command === 'user_message')
  return { sender, member }
}

async function assertNothingReached (member: TestClient): Promise<void> {
  assert.deepEqual((await receivedSoFar(member)).filter((frame) => frame.command === 'user_message'), [])
}

test('a store failing with a connection error (SQLSTATE 08006) answers "Server is busy", stores and broadcasts nothing, and the next store works', async (t) => {
  const app = await build(t, db.database)
  const { sender, member } = await roomOfTwo(app)
  const before = await roomState(app)
  await db.database.db.execute(`CREATE OR REPLACE FUNCTION lose_connection() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION USING ERRCODE = '08006', MESSAGE = 'connection failure during the insert'; END $$ LANGUAGE plpgsql`)
  await db.database.db.execute('CREATE TRIGGER lose_connection BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION lose_connection()')
  t.after(() => db.database.db.execute('DROP TRIGGER IF EXISTS lose_connection ON messages'))

  assert.deepEqual(await send(sender, 'mất kết nối'), BUSY)
  await assertNothingReached(member)
  assert.deepEqual(await roomState(app), before)

  await db.database.db.execute('DROP TRIGGER lose_connection ON messages')
  assert.equal((await send(sender, 'đã trở lại')).result, 'success')
  assert.deepEqual(await roomState(app), { stored: before.stored + 1, lastSeq: before.lastSeq + 1 })
})

test('with the pool exhausted, a store waits at most DB_POOL_WAIT_MS, answers "Server is busy", and the late transaction writes nothing', async (t) => {
  // PostgreSQL: a pool of one connection; PGlite has a single connection by nature.
  let database: Database = db.database
  if (onPostgres) {
    database = await openDatabase({ url: db.url!, poolMax: 1, migrate: false })
    t.after(() => database.close())
  }
  const app = await build(t, database, { DB_POOL_WAIT_MS: 400 })
  const { sender, member } = await roomOfTwo(app)
  const before = await roomState(app)

  let release = () => {}
  let holding = () => {}
  const connectionTaken = new Promise<void>((resolve) => { holding = resolve })
  const held = database.db.transaction(async (tx) => {
    await tx.select({ id: chatRooms.id }).from(chatRooms).limit(1)
    holding()
    await new Promise<void>((resolve) => { release = resolve })
  })
  await connectionTaken
  const started = performance.now()
  assert.deepEqual(await send(sender, 'hàng đợi đầy'), BUSY)
  const waited = performance.now() - started
  assert.ok(waited >= 350 && waited < 3000, `answered after ${Math.round(waited)} ms`)
  release()
  await held
  // The next message goes through the same single connection after anything still queued for it: once it
  // is stored, the refused one would have been too, had it not been withdrawn.
  assert.equal((await send(sender, 'hết tắc')).result, 'success')
  const through = await member.next((frame) => frame.command === 'user_message')
  assert.equal(through.message.content, 'hết tắc')
  await assertNothingReached(member)
  assert.deepEqual(await roomState(app), { stored: before.stored + 1, lastSeq: before.lastSeq + 1 })
})

/** Waits until a backend of `database` is seen sleeping in pg_sleep (the slow trigger), at most `timeoutMs`. */
async function backendSleeping (database: string, timeoutMs = 10_000): Promise<void> {
  const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const [row] = await admin`SELECT count(*)::int AS sleeping FROM pg_stat_activity WHERE datname = ${database} AND wait_event = 'PgSleep'`
      if ((row?.sleeping ?? 0) > 0) return
      if (Date.now() > deadline) throw new Error(`no backend of ${database} was sleeping in the trigger within ${timeoutMs} ms`)
      await sleep(20)
    }
  } finally {
    await admin.end()
  }
}

/**
 * Drops the slow trigger through the test's own pool, whose connections were killed with the others: the
 * first statement on a killed connection can fail before the driver has noticed, so it is tried again for a
 * few seconds.
 */
async function dropTriggerAfterKill (timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await db.database.db.execute('DROP TRIGGER slow_message ON messages')
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(50)
    }
  }
}

async function terminateBackends (adminUrl: string, database: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${database} AND pid <> pg_backend_pid()`
  await admin.end()
}

test('PostgreSQL only (runs when DATABASE_URL is set): backends killed mid-transaction roll back fully, answer "Server is busy", and the app reconnects by itself', { skip: !onPostgres && 'needs DATABASE_URL (PostgreSQL)' }, async (t) => {
  const app = await build(t, db.database)
  const { sender, member } = await roomOfTwo(app)
  const before = await roomState(app)
  await db.database.db.execute(`CREATE OR REPLACE FUNCTION slow_message() RETURNS trigger AS $$
    BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$ LANGUAGE plpgsql`)
  await db.database.db.execute('CREATE TRIGGER slow_message BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow_message()')
  t.after(() => db.database.db.execute('DROP TRIGGER IF EXISTS slow_message ON messages'))

  const answer = send(sender, 'giữa giao dịch')
  // The store's transaction is inside the trigger's sleep (it holds the room lock) when its backend is killed.
  await backendSleeping(new URL(db.url!).pathname.slice(1))
  await terminateBackends(process.env.DATABASE_URL!, new URL(db.url!).pathname.slice(1))
  assert.deepEqual(await answer, BUSY)
  await assertNothingReached(member)

  await dropTriggerAfterKill()
  assert.deepEqual(await roomState(app), before)
  assert.equal((await send(sender, 'kết nối lại')).result, 'success')
  assert.equal((await member.next((frame) => frame.command === 'user_message')).message.content, 'kết nối lại')
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200)
})

async function readiness (app: FastifyInstance): Promise<number> {
  return (await app.inject({ url: '/readyz' })).statusCode
}

test('PostgreSQL only (runs when DATABASE_URL is set): a database server stopped and started again — busy answers, /readyz 503 then 200, recovery without restart', { skip: !onPostgres && 'needs DATABASE_URL (PostgreSQL)' }, async (t: TestContext) => {
  const cluster = await createPrivateCluster()
  t.after(() => cluster.destroy())
  const database = await openDatabase({ url: cluster.url, poolMax: 4 })
  t.after(() => database.close())
  const app = await build(t, database, { DB_POOL_WAIT_MS: 1500 })
  const { sender, member } = await roomOfTwo(app)
  assert.equal(await readiness(app), 200)
  let acknowledged = 1

  cluster.stop()
  assert.deepEqual(await send(sender, 'máy chủ tắt'), BUSY)
  assert.equal(await readiness(app), 503)
  await assertNothingReached(member)

  cluster.start()
  let ready = 0
  for (let i = 0; i < 50 && ready !== 200; i++) {
    ready = await readiness(app)
    if (ready !== 200) await sleep(100)
  }
  assert.equal(ready, 200)
  const answer = await send(sender, 'máy chủ bật lại')
  assert.equal(answer.result, 'success')
  acknowledged++
  assert.equal((await member.next((frame) => frame.command === 'user_message')).message.content, 'máy chủ bật lại')
  assert.deepEqual(await roomState(app), { stored: acknowledged, lastSeq: acknowledged })
  assert.equal((await (await connect(app)).request({ command: 'user_login', userId: 4, token: 'x', uuid: 'y' })).code, 'INVALID_TOKEN')
})
