import { sql } from 'drizzle-orm'
import type { Tx } from '../db/client.js'

/** Any constant shared by every writer of `messages.change_seq`; the value itself means nothing. */
export const CHANGE_ORDER_LOCK = 7_310_042

/**
 * Serializes the transactions that stamp `messages.change_seq` (new messages, edits, deletes) in commit
 * order. A sequence value is taken when a row is written, not when it commits: without this lock a
 * transaction holding change 41 could commit after another holding 42, and a client that synced up to 42
 * in between would never see 41. Holding the lock from before `nextval` until commit closes that gap.
 * Call it as late as possible in the transaction: it is held until commit.
 */
export async function takeChangeOrderLock (tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${CHANGE_ORDER_LOCK})`)
}
