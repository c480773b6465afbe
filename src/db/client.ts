import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type { Sql } from 'postgres'
import type { PGlite } from '@electric-sql/pglite'
import * as schema from './schema.js'
import { installFunctions, type InTransaction } from './functions.js'
import { guardTransactions } from './transaction-guard.js'

export type Schema = typeof schema
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>

export interface Database {
  db: Db
  kind: 'postgres' | 'pglite'
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
  /** Apply the committed migrations, then the function files, before handing the database out (default true). */
  migrate?: boolean
}

/** The committed migrations, next to the sources or next to the compiled output. */
function migrationsFolder (): string {
  for (const relative of ['../../drizzle', '../../../drizzle']) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(candidate)) return candidate
  }
  throw new Error('drizzle/ migrations folder not found')
}

export async function openDatabase (options: DatabaseOptions): Promise<Database> {
  const database = options.url !== undefined
    ? await openPostgres(options.url, options.poolMax ?? 10, options.migrate ?? true)
    : await openPglite(options.pgliteDir ?? 'memory://', options.migrate ?? true)
  return database
}

async function openPostgres (url: string, poolMax: number, runMigrations: boolean): Promise<Database> {
  const { default: postgres } = await import('postgres')
  const { drizzle } = await import('drizzle-orm/postgres-js')
  const quiet = { onnotice: () => {} }
  if (runMigrations) {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator')
    const migrationClient = postgres(url, { max: 1, ...quiet })
    try {
      await migrate(drizzle({ client: migrationClient }), { migrationsFolder: migrationsFolder() })
      await installFunctions(postgresTransaction(migrationClient))
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
  const db = drizzle({ client, schema }) as unknown as Db
  guardTransactions(db)
  return {
    db,
    kind: 'postgres',
    ping: async () => { await client`select 1` },
    close: async () => { await client.end({ timeout: 5 }) }
  }
}

async function openPglite (dir: string, runMigrations: boolean): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  if (dir !== 'memory://') mkdirSync(dir, { recursive: true })
  const client = dir === 'memory://' ? new PGlite() : new PGlite(dir)
  await client.waitReady
  const db = drizzle({ client, schema })
  if (runMigrations) {
    const { migrate } = await import('drizzle-orm/pglite/migrator')
    await migrate(db, { migrationsFolder: migrationsFolder() })
    await installFunctions(pgliteTransaction(client))
  }
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    ping: async () => { await client.query('select 1') },
    close: async () => { if (!client.closed) await client.close() }
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
