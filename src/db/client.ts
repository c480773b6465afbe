import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type * as schema from './schema.js'
import type { PoolWatch } from './pool-watch.js'

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

/** Opens PostgreSQL when `url` is given, else the embedded database; each engine's code loads only when used. */
export async function openDatabase (options: DatabaseOptions): Promise<Database> {
  if (options.url !== undefined) {
    const { openPostgres } = await import('./postgres.js')
    return await openPostgres(options.url, options.poolMax ?? 10, options.migrate ?? true, options.watchPool ?? true)
  }
  const { openPglite } = await import('./pglite.js')
  return await openPglite(options.pgliteDir ?? 'memory://', options.migrate ?? true)
}
