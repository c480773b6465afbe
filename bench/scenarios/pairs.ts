import { deal, Fleet } from '../lib/fleet.js'
import { pairRoomOf } from '../lib/database.js'
import { cpuPercent, type ServerProcess } from '../lib/servers.js'
import { Histogram, now } from '../load/histogram.js'
import type { ClientSpec } from '../load/protocol.js'
import { MB, round, type ScenarioContext } from './context.js'

export const PAIRS_CONNECTIONS = 1_000
/** A step is sustained when its p99 stays within this and nothing is lost. */
export const SUSTAINED_P99_MS = 50
const LOAD_PROCESSES = 2
/**
 * Load before the first measured step, not counted but for its losses: a fresh server's first seconds
 * (code not yet optimized, the database pool still opening connections) are not its steady state.
 */
export const PAIRS_WARM_UP_MS = 5_000

export interface PairsStep {
  rate: number
  sent: number
  stored: number
  delivered: number
  storedPerS: number
  deliveredPerS: number
  p50: number
  p99: number
  max: number
  /** Sender's acknowledgement (stored) latency p99. */
  ackP99: number
  lossStored: number
  lossDelivered: number
  cpuPercent: number
  rssMb: number
  sustained: boolean
}

export interface PairsFigures {
  steps: PairsStep[]
  maxRate: number
  /** The most messages per second stored in any step, sustained or not: the throughput ceiling. */
  peakStoredPerS: number
  /** Messages lost, the warm-up's included. */
  loss: number
}

/**
 * 1,000 connections (200 with --quick) in two-member rooms; after a warm-up at the first step's rate, the
 * total send rate steps up until the server no longer stores what is sent.
 */
export async function pairs (ctx: ScenarioContext, server: ServerProcess): Promise<PairsFigures> {
  const kind = server.kind
  const fleet = new Fleet(LOAD_PROCESSES)
  try {
    const count = ctx.options.quick ? PAIRS_CONNECTIONS / 5 : PAIRS_CONNECTIONS
    const clients: ClientSpec[] = Array.from({ length: count }, (_, index) =>
      ({ userId: String(index + 1), uuid: `pairs-${index + 1}`, roomId: pairRoomOf(index + 1) }))
    const shares = deal(clients, LOAD_PROCESSES, 2)
    const opened = await fleet.open(server.url, ctx.secret, shares)
    if (opened.failed > 0) throw new Error(`${opened.failed} logins failed`)
    const senders = shares.map((share) => share.map((_, i) => i))
    /** Every client of the fleet sends, `rate` msg/s in all, for `durationMs`. */
    const send = (rate: number, durationMs: number) => fleet.all((index) => ({
      op: 'send',
      senders: senders[index]!,
      rate: rate / LOAD_PROCESSES,
      durationMs,
      drainMs: 30_000,
      trackLast: false
    }))
    await send(ctx.options.steps[0] ?? 1000, ctx.options.quick ? 1000 : PAIRS_WARM_UP_MS)
    const warmUp = await fleet.settle((counters) => counters.acked)
    const warmUpLoss = warmUp.reduce((n, r) => n + r.sent - r.delivered, 0)
    const steps: PairsStep[] = []
    for (const rate of ctx.options.steps) {
      const before = await server.probe()
      const start = now()
      await send(rate, ctx.options.stepMs)
      const storedMs = now() - start
      const reports = await fleet.settle((counters) => counters.acked)
      const deliveredMs = now() - start
      const after = await server.probe()
      const delivery = new Histogram()
      const ack = new Histogram()
      for (const report of reports) {
        delivery.add(Histogram.decode(report.delivery))
        ack.add(Histogram.decode(report.ack))
      }
      const sent = reports.reduce((n, r) => n + r.sent, 0)
      const stored = reports.reduce((n, r) => n + r.acked, 0)
      const delivered = reports.reduce((n, r) => n + r.delivered, 0)
      const { p50, p99, max } = delivery.summary()
      const step: PairsStep = {
        rate,
        sent,
        stored,
        delivered,
        storedPerS: Math.round(stored / storedMs * 1000),
        deliveredPerS: Math.round(delivered / deliveredMs * 1000),
        p50,
        p99,
        max,
        ackP99: ack.summary().p99,
        lossStored: sent - stored,
        lossDelivered: stored - delivered,
        cpuPercent: cpuPercent(before, after, deliveredMs),
        rssMb: round(after.rss / MB),
        sustained: false
      }
      step.sustained = step.p99 <= SUSTAINED_P99_MS && step.lossStored === 0 && step.lossDelivered === 0
      steps.push(step)
      ctx.log(`  ${kind} ${rate} msg/s: stored ${step.storedPerS}/s, p50 ${p50} p99 ${p99} max ${max} ms, loss ${step.lossStored}/${step.lossDelivered}, cpu ${step.cpuPercent}%, rss ${step.rssMb} MB`)
      // Past the latency limit the steps go on while the server still stores what is sent: the peak is the throughput ceiling.
      if (!step.sustained && (step.storedPerS < rate * 0.9 || step.lossStored + step.lossDelivered > 0)) break
    }
    return {
      steps,
      maxRate: Math.max(0, ...steps.filter((step) => step.sustained).map((step) => step.rate)),
      peakStoredPerS: Math.max(0, ...steps.map((step) => step.storedPerS)),
      loss: warmUpLoss + steps.reduce((n, step) => n + step.lossStored + step.lossDelivered, 0)
    }
  } finally {
    await fleet.close()
  }
}
