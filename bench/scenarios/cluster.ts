import { Fleet } from '../lib/fleet.js'
import { pairRoomOf } from '../lib/database.js'
import type { ServerProcess } from '../lib/servers.js'
import { Histogram, now } from '../load/histogram.js'
import type { ClientSpec } from '../load/protocol.js'
import type { ScenarioContext } from './context.js'
import { PAIRS_CONNECTIONS, SUSTAINED_P99_MS } from './pairs.js'

export interface ClusterStep {
  rate: number
  storedPerS: number
  p50: number
  p99: number
  lossStored: number
  lossDelivered: number
}

export interface ClusterFigures {
  /** Both members of every pair on one node (Redis unused), then each pair split over two nodes. */
  oneNode: ClusterStep[]
  twoNodes: ClusterStep[]
  loss: number
}

/**
 * The pairs load, with the two members of each pair in different load processes: first both processes
 * on one node, then each process on its own node, so every message crosses Redis from the sender's node
 * to the receiver's. `start(redis)` starts a project node (sharing Redis when asked).
 */
export async function cluster (ctx: ScenarioContext, start: (withRedis: boolean) => Promise<ServerProcess>): Promise<ClusterFigures> {
  const count = ctx.options.quick ? PAIRS_CONNECTIONS / 5 : PAIRS_CONNECTIONS
  const rates = ctx.options.quick ? [300] : ctx.options.steps.filter((rate) => rate <= 10_000)
  const clients: ClientSpec[] = Array.from({ length: count }, (_, index) =>
    ({ userId: String(index + 1), uuid: `cluster-${index + 1}`, roomId: pairRoomOf(index + 1) }))
  // Agents (odd ids) in one process, buyers (even ids) in the other: a pair's members never share one.
  const shares = [clients.filter((client) => Number(client.userId) % 2 === 1), clients.filter((client) => Number(client.userId) % 2 === 0)]
  const run = async (label: string, urls: [string, string]): Promise<ClusterStep[]> => {
    const fleet = new Fleet(2)
    try {
      const opened = await Promise.all(fleet.workers.map((worker, index) =>
        worker.request({ op: 'open', url: urls[index]!, secret: ctx.secret, clients: shares[index]!, concurrency: 100 })))
      const failed = opened.reduce((n, reply) => n + reply.failed, 0)
      if (failed > 0) throw new Error(`${failed} logins failed`)
      const steps: ClusterStep[] = []
      for (const rate of rates) {
        const began = now()
        await fleet.all((index) => ({ op: 'send', senders: shares[index]!.map((_, i) => i), rate: rate / 2, durationMs: ctx.options.stepMs, drainMs: 30_000, trackLast: false }))
        const storedMs = now() - began
        const reports = await fleet.settle((counters) => counters.acked)
        const delivery = new Histogram()
        for (const report of reports) delivery.add(Histogram.decode(report.delivery))
        const sent = reports.reduce((n, r) => n + r.sent, 0)
        const stored = reports.reduce((n, r) => n + r.acked, 0)
        const delivered = reports.reduce((n, r) => n + r.delivered, 0)
        const { p50, p99 } = delivery.summary()
        const step = { rate, storedPerS: Math.round(stored / storedMs * 1000), p50, p99, lossStored: sent - stored, lossDelivered: stored - delivered }
        steps.push(step)
        ctx.log(`  ${label} ${rate} msg/s: stored ${step.storedPerS}/s, p50 ${p50} p99 ${p99} ms, loss ${step.lossStored}/${step.lossDelivered}`)
        if (step.p99 > SUSTAINED_P99_MS * 4 || step.lossStored + step.lossDelivered > 0) break
      }
      return steps
    } finally {
      await fleet.close()
    }
  }
  const lost = (steps: ClusterStep[]) => steps.reduce((n, step) => n + step.lossStored + step.lossDelivered, 0)

  const single = await start(false)
  let oneNode: ClusterStep[]
  try {
    oneNode = await run('one node', [single.url, single.url])
  } finally {
    await single.stop()
  }
  const nodes = [await start(true), await start(true)]
  let twoNodes: ClusterStep[]
  try {
    twoNodes = await run('two nodes', [nodes[0]!.url, nodes[1]!.url])
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
  }
  return { oneNode, twoNodes, loss: lost(oneNode) + lost(twoNodes) }
}
