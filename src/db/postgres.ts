import type { Sql } from 'postgres'
import * as schema from './schema.js'
import type { Database, Db } from './client.js'
import { installFunctions, type InTransaction } from './functions.js'
import { guardTransactions } from './transaction-guard.js'
import { explainConnectionError } from './connect-errors.js'
import { PoolWatch, type DriverQuery } from './pool-watch.js'
import { migrationsFolder } from './migrations.js'

/** PostgreSQL through postgres.js: a pool of `poolMax` connections, migrated first over one of its own. */
export async function openPostgres (url: string, poolMax: number, runMigrations: boolean, watchPool: boolean): Promise<Database> {
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
  // Every statement outside a transaction (drizzle's and the message store's) goes through `unsafe`;
  // a transaction's `begin` statement does too, and the transaction then keeps that connection until it
  // ends, out of the pool's sight unless `begin` is followed as well.
  const pool = watchPool ? new PoolWatch(poolMax) : undefined
  if (pool !== undefined) {
    const unsafe = client.unsafe.bind(client)
    client.unsafe = ((...args: Parameters<Sql['unsafe']>) => pool.follow(unsafe(...args) as unknown as DriverQuery)) as unknown as Sql['unsafe']
    const begin = client.begin.bind(client) as (...args: unknown[]) => Promise<unknown>
    client.begin = ((...args: unknown[]) => {
      const work = args.pop() as (tx: unknown) => unknown
      return pool.hold(async (acquired) => await begin(...args, (tx: unknown) => { acquired(); return work(tx) }))
    }) as unknown as Sql['begin']
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

/** A transaction on a postgres.js client, in the shape the function installer takes. */
export const postgresTransaction = (client: Sql): InTransaction => (work) => client.begin((tx) => work({
  query: (text, params) => tx.unsafe(text, params as never[]),
  exec: async (script) => { await tx.unsafe(script).simple() }
})) as Promise<never>
