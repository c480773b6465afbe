import type { Db, Tx } from './client.js'
import { sqlState } from './errors.js'

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
export function guardTransactions (db: Db): void {
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
