import { deal, Fleet } from '../lib/fleet.js'
import { pairRoomOf } from '../lib/database.js'
import type { ServerProcess } from '../lib/servers.js'
import { Histogram } from '../load/histogram.js'
import type { ClientSpec } from '../load/protocol.js'
import { round, type ScenarioContext } from './context.js'

const LOAD_PROCESSES = 2
/** Users of the pair rooms the pairs scenario leaves alone, so catching up reads only this scenario's messages. */
const FIRST_USER = 1_001

export interface ReconnectFigures {
  clients: number
  /** What each client did after its login: sync, room_history (no sync on this server) or nothing. */
  catchUp: string
  failed: number
  /** Attempts that failed (connection refused or reset under the stampede) and were retried after a backoff. */
  retries: number
  /** From the drop until the last client was logged in and caught up, ms. */
  allBackMs: number
  p50: number
  p99: number
  loss: number
}

/** Every client drops at once and comes back: login, then sync (or room_history, or nothing, whichever the server has). */
export async function reconnect (ctx: ScenarioContext, server: ServerProcess): Promise<ReconnectFigures> {
  const count = ctx.options.quick ? 300 : 5_000
  const kind = server.kind
  const fleet = new Fleet(LOAD_PROCESSES)
  try {
    const clients: ClientSpec[] = Array.from({ length: count }, (_, index) => {
      const userId = FIRST_USER + index
      return { userId: String(userId), uuid: `reconnect-${userId}`, roomId: pairRoomOf(userId) }
    })
    const shares = deal(clients, LOAD_PROCESSES, 2)
    const opened = await fleet.open(server.url, ctx.secret, shares)
    if (opened.failed > 0) throw new Error(`${opened.failed} logins failed`)
    // Something to catch up on: every client sends one message before the drop.
    await fleet.all((index) => ({
      op: 'send', senders: shares[index]!.map((_, i) => i), rate: shares[index]!.length, durationMs: 1000, drainMs: 30_000, trackLast: false
    }))
    await fleet.settle((counters) => counters.acked)
    const replies = await fleet.all({ op: 'reconnect', mode: 'sync' })
    const times = new Histogram()
    for (const reply of replies) for (const time of reply.times) times.record(time)
    const failed = replies.reduce((n, reply) => n + reply.failed, 0)
    const modes = [...new Set(replies.map((reply) => reply.mode))]
    const figures: ReconnectFigures = {
      clients: count,
      catchUp: modes.includes('login') ? 'login only' : modes.includes('room_history') ? 'login + room_history' : 'login + sync',
      failed,
      retries: replies.reduce((n, reply) => n + reply.retries, 0),
      allBackMs: round(times.max, 0),
      p50: round(times.percentile(50), 0),
      p99: round(times.percentile(99), 0),
      loss: failed
    }
    ctx.log(`  ${kind}: ${count} back (${figures.catchUp}) in ${figures.allBackMs} ms, p50 ${figures.p50} p99 ${figures.p99} ms, ${figures.retries} retries, ${failed} failed`)
    return figures
  } finally {
    await fleet.close()
  }
}
