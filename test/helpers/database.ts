import { after, before } from 'node:test'
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { sql } from 'drizzle-orm'
import { openDatabase, type Database, type Db } from '../../src/db/client.js'

/** Which database the suites run on: PostgreSQL when DATABASE_URL is set, in-memory PGlite otherwise. */
export const onPostgres = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''

/** Opens a fresh PostgreSQL database (dropped afterwards) or an in-memory PGlite for one test file. */
export async function openTestDatabase (): Promise<{ database: Database, url?: string, drop: () => Promise<void> }> {
  if (!onPostgres) {
    const database = await openDatabase({ pgliteDir: 'memory://' })
    return { database, drop: () => database.close() }
  }
  const adminUrl = process.env.DATABASE_URL!
  const name = `chat_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), poolMax: 10 })
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close()
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
    }
  }
}

/**
 * One database for the whole test file (PGlite takes seconds to start), opened before the first test
 * and dropped after the last. Call at the top level of a test file.
 */
export function useDatabase (): { readonly database: Database, readonly url: string | undefined } {
  let opened: Awaited<ReturnType<typeof openTestDatabase>> | undefined
  before(async () => { opened = await openTestDatabase() })
  after(async () => { await opened?.drop() })
  return {
    get database () { return opened!.database },
    get url () { return opened!.url }
  }
}

/** Empties every table and restarts the id sequences (tests share one database per file). */
export async function truncateAll (db: Db): Promise<void> {
  await db.execute(sql`TRUNCATE attachments, push_outbox, push_registrations, messages, members, chat_rooms, listings, users RESTART IDENTITY CASCADE`)
  await db.execute(sql`ALTER SEQUENCE message_change_seq RESTART`)
}
