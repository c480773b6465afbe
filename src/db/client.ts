import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type { Sql } from 'postgres'
import type { PGlite } from '@electric-sql/pglite'
import * as schema from './schema.js'
import { installFunctions, type InTransaction } from './functions.js'
import { guardTransactions } from './transaction-guard.js'
import { lockPgliteDir } from './pglite-lock.js'
import { explainConnectionError } from './connect-errors.js'
import { PoolWatch, type DriverQuery } from './pool-watch.js'

export type Schema = typeof schema
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>

export interface Database {
  db: Db
  kind: 'postgres' | 'pglite'
  /** The connection pool's use and waits (PostgreSQL; the embedded database has no pool). */
  pool?: PoolWatch
  /** Resolves when the database answers a trivial query. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it an embedded PGlite database is used. */
  url?: string | undefined
  /** PGlite data directory, or `memory://` for a throw-away in-memory database. */
  pgliteDir?: string
  poolMax?: number
  /** Follow the pool's use and waits for the metrics (default true; METRICS=off turns it off). */
  watchPool?: boolean
  /** Apply the committed migrations, then the function files, before handing the database out (default true). */
  migrate?: boolean
}

/**
 * The committed migrations: at the package root when running the sources (src/db → drizzle/), in dist/
 * when running the build (dist/src/db → dist/drizzle/, copied there by `npm run build`), else at the
 * package root beside dist/.
 */
function migrationsFolder (): string {
  const candidates = ['../../drizzle', '../../../drizzle'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  const found = candidates.find((candidate) => existsSync(candidate))
  if (found === undefined) throw new Error(`migrations folder not found (looked in ${candidates.join(', ')}); run \`npm run build\` again`)
  return found
}

export async function openDatabase (options: DatabaseOptions): Promise<Database> {
  const database = options.url !== undefined
    ? await openPostgres(options.url, options.poolMax ?? 10, options.migrate ?? true, options.watchPool ?? true)
    : await openPglite(options.pgliteDir ?? 'memory://', options.migrate ?? true)
  return database
}

async function openPostgres (url: string, poolMax: number, runMigrations: boolean, watchPool: boolean): Promise<Database> {
  const { default: postgres } = await import('postgres')
  const { drizzle } = await import('drizzle-orm/postgres-js')
  const quiet = { onnotice: () => {} }
  if (runMigrations) {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator')
    const migrationClient = postgres(url, { max: 1, ...quiet })
    try {
      await migrate(drizzle({ client: migrationClient }), { migrationsFolder: migrationsFolder() })
      await installFunctions(postgresTransaction(migrationClient))
    } catch (error) {
      // The first statement is the first connection: a wrong DATABASE_URL shows up here.
      throw explainConnectionError(error, url) ?? error
    } finally {
      await migrationClient.end()
    }
  }
  const client = postgres(url, {
    max: poolMax,
    connect_timeout: 5,
    idle_timeout: 60,
    ...quiet
  })
  // Every statement outside a transaction (drizzle's and the message store's) goes through `unsafe`.
  const pool = watchPool ? new PoolWatch(poolMax) : undefined
  if (pool !== undefined) {
    const unsafe = client.unsafe.bind(client)
    client.unsafe = ((...args: Parameters<Sql['unsafe']>) => pool.follow(unsafe(...args) as unknown as DriverQuery)) as unknown as Sql['unsafe']
  }
  const db = drizzle({ client, schema }) as unknown as Db
  guardTransactions(db)
  return {
    db,
    kind: 'postgres',
    ...(pool !== undefined && { pool }),
    ping: async () => { await client`select 1` },
    close: async () => { await client.end({ timeout: 5 }) }
  }
}

async function openPglite (dir: string, runMigrations: boolean): Promise<Database> {
  const { TextKeepingPGlite } = await import('./pglite-text.js')
  const { drizzle } = await import('drizzle-orm/pglite')
  let unlock = () => {}
  if (dir !== 'memory://') {
    mkdirSync(dir, { recursive: true })
    unlock = lockPgliteDir(dir)
  }
  const client = dir === 'memory://' ? new TextKeepingPGlite() : new TextKeepingPGlite(dir)
  const db = drizzle({ client, schema })
  try {
    await client.waitReady
    if (runMigrations) {
      const { migrate } = await import('drizzle-orm/pglite/migrator')
      await migrate(db, { migrationsFolder: migrationsFolder() })
      await installFunctions(pgliteTransaction(client))
    }
  } catch (error) {
    if (!client.closed) await client.close().catch(() => {})
    unlock()
    throw error
  }
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    ping: async () => { await client.query('select 1') },
    close: async () => {
      if (!client.closed) await client.close()
      unlock()
    }
  }
}

/** A transaction on a postgres.js client, in the shape the function installer takes. */
export const postgresTransaction = (client: Sql): InTransaction => (work) => client.begin((tx) => work({
  query: (text, params) => tx.unsafe(text, params as never[]),
  exec: async (script) => { await tx.unsafe(script).simple() }
})) as Promise<never>

/** A transaction on PGlite, in the shape the function installer takes. */
export const pgliteTransaction = (client: PGlite): InTransaction => (work) => client.transaction((tx) => work({
  query: async (text, params) => (await tx.query<Record<string, unknown>>(text, params)).rows,
  exec: async (script) => { await tx.exec(script) }
}))
