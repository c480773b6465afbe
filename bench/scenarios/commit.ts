import { openDatabase } from '../../src/db/client.js'
import { MessageStore, type NewMessage } from '../../src/chat/message-store.js'
import { PAIR_ROOMS } from '../lib/database.js'
import { Histogram, now } from '../load/histogram.js'
import type { ScenarioContext } from './context.js'

export interface CommitRun {
  maxBatch: number
  messages: number
  perS: number
  p50: number
  p99: number
}

export interface CommitFigures {
  runs: CommitRun[]
  /** Messages per second with group commit ÷ with one transaction per message. */
  gain: number | null
}

/**
 * Group commit on its own: the project's MessageStore, in this process, stores a burst of messages
 * spread over the pair rooms, once with one transaction per message and once with batches.
 */
export async function commit (ctx: ScenarioContext, database: { databaseUrl?: string, pgliteDir?: string }): Promise<CommitFigures> {
  const opened = await openDatabase({ url: database.databaseUrl, ...(database.pgliteDir !== undefined && { pgliteDir: database.pgliteDir }), migrate: false })
  const runs: CommitRun[] = []
  try {
    // One transaction per message is slow: it gets a smaller burst so the run stays short.
    for (const [maxBatch, count] of [[1, ctx.options.quick ? 100 : 500], [500, ctx.options.quick ? 500 : 5_000]] as const) {
      const store = new MessageStore(opened.db, { onStored: () => {}, onError: () => {} }, { maxBatch })
      const latency = new Histogram()
      const start = now()
      const results = await Promise.all(Array.from({ length: count }, (_, index) => {
        const userId = 2 * (index % PAIR_ROOMS) + 2
        const input: NewMessage = {
          roomId: String(index % PAIR_ROOMS + 1),
          sender: { userId: String(userId), fullname: `Bench user ${userId}`, avatar: null, primaryRole: 'USER' },
          content: `burst ${maxBatch} ${index}`,
          messageType: 'TEXT',
          media: null,
          clientMessageId: null,
          replyToMessageId: null
        }
        return store.submit(input).then((result) => { latency.record(now() - start); return result })
      }))
      const elapsed = now() - start
      const failed = results.filter((result) => !result.ok).length
      if (failed > 0) throw new Error(`${failed} messages not stored`)
      const run = { maxBatch, messages: count, perS: Math.round(count / elapsed * 1000), ...latency.summary() }
      runs.push({ maxBatch: run.maxBatch, messages: run.messages, perS: run.perS, p50: run.p50, p99: run.p99 })
      ctx.log(`  batches of up to ${maxBatch}: ${run.perS} msg/s, p50 ${run.p50} p99 ${run.p99} ms after the burst began`)
    }
  } finally {
    await opened.close()
  }
  return { runs, gain: runs[0]!.perS === 0 ? null : Math.round(runs[1]!.perS / runs[0]!.perS * 10) / 10 }
}
