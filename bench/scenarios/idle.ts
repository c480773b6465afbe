import { deal, Fleet } from '../lib/fleet.js'
import type { ServerProcess } from '../lib/servers.js'
import type { ClientSpec } from '../load/protocol.js'
import { MB, round, sleep, type ScenarioContext } from './context.js'

/**
 * Clients spread over several processes (each process may hold 20,000 open files) and several source
 * addresses (each gives ~28,000 ephemeral ports towards one server port).
 */
const LOAD_PROCESSES = 3
const SOURCE_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']

export interface IdleLevel {
  connections: number
  failed: number
  connectMs: number
  rssMb: number
  heapMb: number
  rssPerConnectionKb: number
  heapPerConnectionKb: number
}

export interface IdleFigures {
  baselineRssMb: number
  levels: IdleLevel[]
  loss: number
}

/** Logged-in idle connections in two levels (5,000 then 15,000): server memory per connection. */
export async function idle (ctx: ScenarioContext, server: ServerProcess): Promise<IdleFigures> {
  const levels = ctx.options.quick ? [300, 600] : [5_000, 15_000]
  const kind = server.kind
  const fleet = new Fleet(LOAD_PROCESSES)
  try {
    await sleep(500)
    const baseline = await server.probe(true)
    const figures: IdleFigures = { baselineRssMb: round(baseline.rss / MB), levels: [], loss: 0 }
    let connected = 0
    for (const target of levels) {
      const clients: ClientSpec[] = []
      for (let userId = connected + 1; userId <= target; userId++) {
        clients.push({ userId: String(userId), uuid: `idle-${userId}`, roomId: '1', localAddress: SOURCE_ADDRESSES[userId % SOURCE_ADDRESSES.length]! })
      }
      const opened = await fleet.open(server.url, ctx.secret, deal(clients, LOAD_PROCESSES), 50)
      connected = target
      await sleep(1000)
      const reading = await server.probe(true)
      const level: IdleLevel = {
        connections: target,
        failed: opened.failed,
        connectMs: Math.round(opened.ms),
        rssMb: round(reading.rss / MB),
        heapMb: round(reading.heapUsed / MB),
        rssPerConnectionKb: round((reading.rss - baseline.rss) / target / 1024),
        heapPerConnectionKb: round((reading.heapUsed - baseline.heapUsed) / target / 1024)
      }
      figures.levels.push(level)
      figures.loss += opened.failed
      ctx.log(`  ${kind} ${target} idle: rss ${level.rssMb} MB (${level.rssPerConnectionKb} KB/conn), heap ${level.heapMb} MB (${level.heapPerConnectionKb} KB/conn), ${opened.failed} failed, connected in ${level.connectMs} ms`)
    }
    return figures
  } finally {
    await fleet.close()
  }
}
