import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../../src/db/client.js'
import { onPostgres, useDatabase } from '../helpers.js'

const db = useDatabase()

/** Polls `check` until it holds, at most `timeoutMs`: the pool figures move when the driver acts. */
async function until (check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

test('PostgreSQL only (runs when DATABASE_URL is set): a transaction counts as holding its connection until it ends, and a statement queued behind it as waiting', { skip: !onPostgres && 'needs DATABASE_URL (PostgreSQL): the embedded database has no pool' }, async (t) => {
  // A pool of one connection, so whatever the transaction holds, the next statement waits for.
  const database = await openDatabase({ url: db.url!, poolMax: 1, migrate: false })
  t.after(() => database.close())
  const pool = database.pool!
  const waits: number[] = []
  pool.onWait = (seconds) => waits.push(seconds)

  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let entered!: () => void
  const inside = new Promise<void>((resolve) => { entered = resolve })
  const transaction = database.db.transaction(async (tx) => {
    await tx.execute(sql`select 1`)
    entered()
    await gate
  })
  await inside
  assert.equal(pool.inUse, 1, 'the open transaction holds the only connection')
  assert.equal(pool.waiting, 0)

  const queuedAt = performance.now()
  // A drizzle query runs when it is awaited or chained, so it is chained at once.
  const statement = database.db.execute(sql`select 2 as two`).then(() => {})
  await until(() => pool.waiting === 1, 'the statement behind the transaction waits')
  const heldMs = 150
  await new Promise((resolve) => setTimeout(resolve, heldMs))
  assert.equal(pool.waiting, 1, 'still waiting while the transaction holds the connection')
  release()
  await transaction
  await statement
  const waitedMs = performance.now() - queuedAt

  assert.equal(pool.inUse, 0)
  assert.equal(pool.waiting, 0)
  const longest = Math.max(...waits) * 1000
  assert.ok(longest >= heldMs && longest <= waitedMs + 1, `the statement's wait (${longest.toFixed(0)} ms) covers the time the transaction held the connection`)
})
