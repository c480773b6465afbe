import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../../src/db/client.js'

/**
 * The benchmark's population: users 1..USERS; room r (1..PAIR_ROOMS) is the listing room of listing r
 * between agent 2r-1 and buyer 2r; room BIG_ROOM holds users 1..BIG_ROOM_MEMBERS.
 */
export const USERS = 15_000
export const PAIR_ROOMS = 3_000
export const BIG_ROOM = String(PAIR_ROOMS + 1)
export const BIG_ROOM_MEMBERS = 1_000

export const pairRoomOf = (userId: number) => String(Math.ceil(userId / 2))

export interface BenchDatabase {
  databaseUrl?: string
  pgliteDir?: string
  /** Room id → member ids, for the peer that keeps no database. */
  roomsFile: string
  drop: () => Promise<void>
}

/** A fresh database for this run (PostgreSQL when `adminUrl` is given, PGlite on disk otherwise), migrated and filled. */
export async function createBenchDatabase (adminUrl: string | undefined): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-bench-'))
  const roomsFile = join(dir, 'rooms.json')
  writeFileSync(roomsFile, JSON.stringify(roomMembers()))
  if (adminUrl === undefined) {
    const pgliteDir = join(dir, 'pglite')
    const database = await openDatabase({ pgliteDir })
    await fill(database.db)
    await database.close()
    return { pgliteDir, roomsFile, drop: async () => { rmSync(dir, { recursive: true, force: true }) } }
  }
  const name = `chat_bench_${randomBytes(4).toString('hex')}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), poolMax: 2 })
  await fill(database.db)
  await database.close()
  return {
    databaseUrl: url.toString(),
    roomsFile,
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

function roomMembers (): Record<string, string[]> {
  const rooms: Record<string, string[]> = {}
  for (let room = 1; room <= PAIR_ROOMS; room++) rooms[room] = [String(2 * room - 1), String(2 * room)]
  rooms[BIG_ROOM] = Array.from({ length: BIG_ROOM_MEMBERS }, (_, index) => String(index + 1))
  return rooms
}

/** Bulk inserts, in one statement per table. */
async function fill (db: Awaited<ReturnType<typeof openDatabase>>['db']): Promise<void> {
  await db.execute(sql.raw(`
    INSERT INTO users (id, fullname, primary_role)
      SELECT g, 'Bench user ' || g, CASE WHEN g % 2 = 1 THEN 'AGENT'::user_role ELSE 'USER'::user_role END
      FROM generate_series(1, ${USERS}) g`))
  await db.execute(sql.raw(`
    INSERT INTO listings (id, title, agent_id) SELECT g, 'Bench listing ' || g, 2 * g - 1 FROM generate_series(1, ${PAIR_ROOMS}) g`))
  await db.execute(sql.raw(`
    INSERT INTO chat_rooms (id, listing_id, buyer_id, created_by) SELECT g, g, 2 * g, 2 * g FROM generate_series(1, ${PAIR_ROOMS}) g`))
  await db.execute(sql.raw(`INSERT INTO chat_rooms (id, title, created_by) VALUES (${BIG_ROOM}, 'Bench big room', 1)`))
  await db.execute(sql.raw(`
    INSERT INTO members (room_id, user_id, role)
      SELECT (g + 1) / 2, g, CASE WHEN g % 2 = 0 THEN 'OWNER'::member_role ELSE 'MEMBER'::member_role END
      FROM generate_series(1, ${2 * PAIR_ROOMS}) g`))
  await db.execute(sql.raw(`
    INSERT INTO members (room_id, user_id) SELECT ${BIG_ROOM}, g FROM generate_series(1, ${BIG_ROOM_MEMBERS}) g`))
  for (const table of ['users', 'listings', 'chat_rooms']) {
    await db.execute(sql.raw(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT MAX(id) FROM ${table}))`))
  }
  await db.execute(sql.raw('ANALYZE'))
}
