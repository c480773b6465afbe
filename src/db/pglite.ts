import { mkdirSync } from 'node:fs'
import type { PGlite } from '@electric-sql/pglite'
import * as schema from './schema.js'
import type { Database, Db } from './client.js'
import { installFunctions, type InTransaction } from './functions.js'
import { lockPgliteDir } from './pglite-lock.js'
import { migrationsFolder } from './migrations.js'

/** The embedded database: in memory, or in `dir`, locked by this process while it is open. */
export async function openPglite (dir: string, runMigrations: boolean): Promise<Database> {
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

/** A transaction on PGlite, in the shape the function installer takes. */
export const pgliteTransaction = (client: PGlite): InTransaction => (work) => client.transaction((tx) => work({
  query: async (text, params) => (await tx.query<Record<string, unknown>>(text, params)).rows,
  exec: async (script) => { await tx.exec(script) }
}))
