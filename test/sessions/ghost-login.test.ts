import { test } from 'node:test'
import assert from 'node:assert/strict'
import postgres from 'postgres'
import type { Database } from '../../src/db/client.js'
import { connectReal, listen, onPostgres, tokenFor, useDatabase } from '../helpers.js'
import { buildLogged } from '../security/log-capture.js'

const db = useDatabase()

interface Hold {
  /** Resolves once a query of the server is waiting behind the hold (PostgreSQL only; PGlite cannot tell). */
  blocked: () => Promise<void>
  release: () => Promise<void>
}

const waitUntil = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Holds every query on the users table: on PostgreSQL a lock taken by another session's open
 * transaction, on PGlite (one connection, queries in turn) a transaction that does not end.
 */
async function holdUsers (database: Database, url: string | undefined): Promise<Hold> {
  if (onPostgres) {
    const holder = postgres(url!, { max: 2, onnotice: () => {} })
    const locker = await holder.reserve()
    await locker`BEGIN`
    await locker`LOCK TABLE users IN ACCESS EXCLUSIVE MODE`
    return {
      blocked: () => waitUntil(async () => {
        const [row] = await holder`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%"users"%'`
        return row!.n > 0
      }, 'the login query to wait for the lock'),
      release: async () => {
        await locker`COMMIT`
        locker.release()
        await holder.end()
      }
    }
  }
  const client = (database.db as unknown as { $client: { transaction: (work: (tx: unknown) => Promise<void>) => Promise<void> } }).$client
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let entered!: () => void
  const holding = new Promise<void>((resolve) => { entered = resolve })
  const transaction = client.transaction(async () => { entered(); await released })
  await holding
  return { blocked: async () => {}, release: async () => { release(); await transaction } }
}

test('a socket that closes while its login waits for the database registers nothing; such logins never use up the device cap', async (t) => {
  const { app, lines } = await buildLogged(t, db.database, { MAX_DEVICES_PER_USER: 2 })
  const url = await listen(app)
  const token = tokenFor(app, 4)
  for (const uuid of ['ghost-1', 'ghost-2', 'ghost-3']) {
    const hold = await holdUsers(db.database, db.url)
    const client = await connectReal(url)
    client.send({ command: 'user_login', userId: 4, token, uuid })
    await hold.blocked()
    client.close()
    await client.closedWithin()
    await waitUntil(() => app.sessions.connections.size === 0, 'the server to handle the close')
    await hold.release()
    const finishedAt = (all: Array<Record<string, unknown>>) => all.findIndex((line) => line.uuid === uuid && (line.msg === 'login succeeded' || line.msg === 'login abandoned: connection closed'))
    await waitUntil(() => finishedAt(lines()) >= 0, `the login of ${uuid} to finish`)
    const all = lines()
    const finished = all[finishedAt(all)]!
    assert.equal(finished.msg, 'login abandoned: connection closed', `${uuid} was registered after its socket closed`)
    const closedAt = all.findIndex((line) => line.msg === 'connection closed' && line.connectionId === finished.connectionId)
    assert.ok(closedAt >= 0 && closedAt < finishedAt(all), 'the socket closed while the login waited')
    assert.equal(app.sessions.sessionCount, 0)
    assert.equal(app.sessions.isOnline('4'), false)
    assert.deepEqual([...await app.presenceSource.online(['4'])], [])
  }
  // Three abandoned logins later, a real device still gets in (the cap is 2).
  const phone = await connectReal(url)
  assert.equal((await phone.request({ command: 'user_login', userId: 4, token, uuid: 'phone' })).result, 'success')
  assert.equal(app.sessions.sessionCount, 1)
  phone.close()
})
