import type { Db } from './client.js'

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
