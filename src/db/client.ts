import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql, type ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import * as schema from './schema.js'
import { sqlState } from './errors.js'

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
  /** Apply the committed migrations before handing the database out (default true). */
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

/** Errors that mean the transaction's connection itself is gone (the server rolled the transaction back). */
const CONNECTION_LOST = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03'])
const connectionLost = (error: unknown): boolean => {
  const code = sqlState(error) ?? (error as { code?: unknown, cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code
  return typeof code === 'string' && (CONNECTION_LOST.has(code) || code.startsWith('08'))
}
/** How long a failed transaction waits to learn whether its connection closed. */
const CLOSE_NOTICE_MS = 500

/**
 * postgres.js 3.4.9 crashes the process (an uncatchable TypeError in `nextWrite`) when it sends ROLLBACK
 * on a reserved connection whose backend already died (porsager/postgres#1208, no fixed release yet).
 * So when a statement fails because its connection is gone, the ROLLBACK is not sent once the
 * transaction has already failed through the driver's close handler: the server rolled it back
 * itself. The driver's abandoned scope stays pending; that is the price of not crashing.
 */
function guardTransactions (db: Db): void {
  const begin = db.transaction.bind(db)
  db.transaction = <T>(work: (tx: Tx) => Promise<T>, config?: Parameters<Db['transaction']>[1]): Promise<T> => {
    let markSettled = () => {}
    const settled = new Promise<void>((resolve) => { markSettled = resolve })
    let isSettled = false
    const outcome = begin(async (tx) => {
      try {
        return await work(tx)
      } catch (error) {
        if (connectionLost(error)) {
          await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, CLOSE_NOTICE_MS).unref())])
          if (isSettled) return await new Promise<never>(() => {})
        }
        throw error
      }
    }, config)
    void outcome.then(() => {}, () => {}).finally(() => { isSettled = true; markSettled() })
    return outcome
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
  }
  return {
    db: db as unknown as Db,
    kind: 'pglite',
    ping: async () => { await client.query('select 1') },
    close: async () => { if (!client.closed) await client.close() }
  }
}

/**
 * Runs one statement outside any explicit transaction (the statement is a transaction of its own: one
 * round trip). `giveUp` withdraws it if it has not been sent yet and answers whether it did: a withdrawn
 * statement never runs, and `rows` fails.
 */
export type StatementRunner = ((text: string, params: unknown[]) => { rows: Promise<Array<Record<string, unknown>>>, giveUp: () => boolean }) & {
  /** True for PGlite: it runs in this thread and answers through promises alone, never yielding to I/O. */
  embedded: boolean
}

interface PostgresJsQuery extends Promise<Array<Record<string, unknown>>> {
  /** Set once a connection has taken the query (postgres.js). */
  state: unknown
  execute: () => PostgresJsQuery
  cancel: () => void
}
interface PostgresJsClient {
  unsafe: (text: string, params: unknown[], options: { prepare: boolean }) => PostgresJsQuery
}
interface PgliteClient {
  transaction: <T>(work: (tx: { query: (text: string, params: unknown[]) => Promise<{ rows: unknown[] }> }) => Promise<T>) => Promise<T>
}

export function statementRunner (db: Db): StatementRunner {
  const client = (db as unknown as { $client: PostgresJsClient | PgliteClient }).$client
  if ('unsafe' in client) {
    return Object.assign((text: string, params: unknown[]) => {
      const query = client.unsafe(text, params, { prepare: true }).execute()
      return {
        rows: query,
        giveUp: () => {
          if (query.state !== null) return false
          // Still waiting for a connection: cancelling takes it out of the pool's queue.
          query.cancel()
          query.catch(() => {})
          return true
        }
      }
    }, { embedded: false })
  }
  // PGlite has one connection: a transaction of its own is the way to learn when the statement's turn came.
  return Object.assign((text: string, params: unknown[]) => {
    let state: 'waiting' | 'started' | 'withdrawn' = 'waiting'
    const rows = client.transaction(async (tx) => {
      if (state === 'withdrawn') throw Object.assign(new Error('statement withdrawn before it ran'), { code: 'DB_POOL_TIMEOUT' })
      state = 'started'
      return (await tx.query(text, params)).rows as Array<Record<string, unknown>>
    })
    return {
      rows,
      giveUp: () => {
        if (state === 'started') return false
        state = 'withdrawn'
        rows.catch(() => {})
        return true
      }
    }
  }, { embedded: true })
}

/**
 * Runs `build` once per database and hands back its result from then on: for hot queries prepared with
 * placeholders. Building their SQL on every call took a fifth of the server's CPU in a login stampede,
 * and a prepared statement is parsed and described by PostgreSQL once per connection rather than on
 * every call. Only for the app's database: a transaction is not a place to keep one.
 */
export function perDatabase<T> (build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>()
  return (db) => {
    let value = built.get(db)
    if (value === undefined) {
      value = build(db)
      built.set(db, value)
    }
    return value
  }
}

/** Empties every table and restarts the id sequences (tests share one database per file). */
export async function truncateAll (db: Db): Promise<void> {
  await db.execute(sql`TRUNCATE push_outbox, push_registrations, messages, members, chat_rooms, listings, users RESTART IDENTITY CASCADE`)
  await db.execute(sql`ALTER SEQUENCE message_change_seq RESTART`)
}
