import { deal, Fleet } from '../lib/fleet.js'
import { BIG_ROOM, BIG_ROOM_MEMBERS } from '../lib/database.js'
import type { ServerProcess } from '../lib/servers.js'
import { Histogram } from '../load/histogram.js'
import type { ClientSpec } from '../load/protocol.js'
import type { ScenarioContext } from './context.js'

const LOAD_PROCESSES = 2
const SEND_RATE = 50

export interface BigroomFigures {
  members: number
  messages: number
  deliveries: number
  /** Time until the last member had each message, ms. */
  lastP50: number
  lastP99: number
  lastMax: number
  /** Any member's delivery latency. */
  anyP99: number
  loss: number
}

/** One room of 1,000 connected members (200 with --quick), one sender at 50 msg/s: 50,000 deliveries a second. */
export async function bigroom (ctx: ScenarioContext, server: ServerProcess): Promise<BigroomFigures> {
  const kind = server.kind
  const fleet = new Fleet(LOAD_PROCESSES)
  try {
    const connected = ctx.options.quick ? BIG_ROOM_MEMBERS / 5 : BIG_ROOM_MEMBERS
    const clients: ClientSpec[] = Array.from({ length: connected }, (_, index) =>
      ({ userId: String(index + 1), uuid: `bigroom-${index + 1}`, roomId: BIG_ROOM }))
    const opened = await fleet.open(server.url, ctx.secret, deal(clients, LOAD_PROCESSES))
    if (opened.failed > 0) throw new Error(`${opened.failed} logins failed`)
    // User 1 is the first client of the first process.
    await fleet.all((index) => ({
      op: 'send',
      senders: index === 0 ? [0] : [],
      rate: index === 0 ? SEND_RATE : 0,
      durationMs: ctx.options.stepMs,
      drainMs: 30_000,
      trackLast: true
    }))
    const reports = await fleet.settle((counters) => counters.acked * (connected - 1))
    const last = new Map<string, number>()
    const any = new Histogram()
    for (const report of reports) {
      any.add(Histogram.decode(report.delivery))
      for (const [key, latency] of report.lastArrival) last.set(key, Math.max(last.get(key) ?? 0, latency))
    }
    const lastHistogram = new Histogram()
    for (const latency of last.values()) lastHistogram.record(latency)
    const stored = reports.reduce((n, r) => n + r.acked, 0)
    const sent = reports.reduce((n, r) => n + r.sent, 0)
    const deliveries = reports.reduce((n, r) => n + r.delivered, 0)
    const { p50, p99, max } = lastHistogram.summary()
    const figures = {
      members: connected,
      messages: stored,
      deliveries,
      lastP50: p50,
      lastP99: p99,
      lastMax: max,
      anyP99: any.summary().p99,
      loss: (sent - stored) + (stored * (connected - 1) - deliveries)
    }
    ctx.log(`  ${kind}: ${stored} messages, last member p50 ${p50} p99 ${p99} max ${max} ms, loss ${figures.loss}`)
    return figures
  } finally {
    await fleet.close()
  }
}
