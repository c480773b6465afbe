import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import type { ScenarioContext } from './context.js'

export interface WritersRun {
  writers: number
  /** Each writer had a change-order lock of its own: the global serialization removed. */
  ownLock: boolean
  perS: number
  failed: number
  /** Average number of writers waiting for the change-order lock (pg_stat_activity, sampled). */
  lockWaiting: number
  /** Average number of writers running their store statement, waiting or not. */
  storing: number
}

export interface WritersFigures {
  runs: WritersRun[]
  /** Messages per second of the most writers ÷ of one. */
  scaling: number | null
}

const WRITER = fileURLToPath(new URL('../load/store-writer.ts', import.meta.url))

/**
 * What several nodes store together on one PostgreSQL: 1, 2 and 3 writer processes, each with the
 * project's MessageStore and its own pool, as nodes have, into disjoint rooms, at full speed.
 */
export async function writers (ctx: ScenarioContext, database: { databaseUrl?: string }): Promise<WritersFigures | undefined> {
  if (database.databaseUrl === undefined) {
    ctx.log('  writers: skipped, several processes need PostgreSQL (set DATABASE_URL)')
    return undefined
  }
  const ms = ctx.options.quick ? 1500 : 8000
  const runs: WritersRun[] = []
  for (const [count, ownLock] of [[1, false], [2, false], [3, false], [2, true], [3, true]] as const) {
    const children = Array.from({ length: count }, () => fork(WRITER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }))
    const ready = children.map((child) => new Promise((resolve) => child.once('message', resolve)))
    const reports = children.map((child) => new Promise<{ stored: number, failed: number }>((resolve, reject) => {
      child.on('message', (message: { stored?: number, failed?: number }) => { if (message.stored !== undefined) resolve(message as { stored: number, failed: number }) })
      child.once('exit', (code) => { if (code !== 0) reject(new Error(`writer exited with ${code}`)) })
    }))
    children.forEach((child, index) => child.send({ databaseUrl: database.databaseUrl, index, count, ms, inflight: 200, ownLock }))
    await Promise.all(ready)
    for (const child of children) child.send('go')
    const sampled = sampleStores(database.databaseUrl, ms)
    const results = await Promise.all(reports)
    const { lockWaiting, storing } = await sampled
    const stored = results.reduce((sum, result) => sum + result.stored, 0)
    const run = { writers: count, ownLock, perS: Math.round(stored / ms * 1000), failed: results.reduce((sum, result) => sum + result.failed, 0), lockWaiting, storing }
    runs.push(run)
    ctx.log(`  ${count} writer${count > 1 ? 's' : ''}${ownLock ? ', each its own lock' : ''}: ${run.perS} msg/s together${run.failed > 0 ? `, ${run.failed} failed` : ''}; on average ${storing} storing, ${lockWaiting} of them waiting for the change-order lock`)
  }
  const first = runs[0]!.perS
  const shared = runs.filter((run) => !run.ownLock).at(-1)!
  return { runs, scaling: first === 0 ? null : Math.round(shared.perS / first * 100) / 100 }
}

/** Samples, every 10 ms for `ms`, how many store statements run and how many of them wait for an advisory lock. */
async function sampleStores (url: string, ms: number): Promise<{ lockWaiting: number, storing: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  let samples = 0
  let waiting = 0
  let storing = 0
  const until = Date.now() + ms
  try {
    while (Date.now() < until) {
      const [row] = await sql<Array<{ storing: number, waiting: number }>>`
        SELECT count(*)::int AS storing, (count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'))::int AS waiting
        FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%store_message_batch%'`
      samples++
      storing += row!.storing
      waiting += row!.waiting
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    await sql.end()
  }
  const average = (total: number) => samples === 0 ? 0 : Math.round(total / samples * 100) / 100
  return { lockWaiting: average(waiting), storing: average(storing) }
}
