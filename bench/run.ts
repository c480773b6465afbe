/**
 * The benchmark: `npm run bench [-- --quick] [-- --check] [--only=pairs,bigroom] [--servers=project,naive]
 * [--steps=1000,5000] [--step-ms=10000] [--profile=dir] [--built]`. `--built` runs the project compiled
 * (`npm run build` first), as `npm run start:prod` does, instead of its sources under tsx.
 * `--only=metrics` measures what metrics cost: pairs on the project with METRICS=on and off, same run.
 * Each scenario runs against the project and the two baseline peers (bench/peers/), one after another,
 * each server in its own process, and writes bench/results/latest.json and latest.md (a full run on
 * PostgreSQL) or bench/results/scratch/latest.json and latest.md (any other run: not comparable with the targets).
 */
import { cpus, totalmem } from 'node:os'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { createServer, type AddressInfo } from 'node:net'
import { createBenchDatabase } from './lib/database.js'
import { SERVER_KINDS, ServerProcess, type ServerKind } from './lib/servers.js'
import { caveatsOf, markdown, ratio, type PerServer, type Results } from './lib/report.js'
import { pairs, type PairsFigures } from './scenarios/pairs.js'
import { bigroom, type BigroomFigures } from './scenarios/bigroom.js'
import { idle, type IdleFigures } from './scenarios/idle.js'
import { reconnect, type ReconnectFigures } from './scenarios/reconnect.js'
import { commit } from './scenarios/commit.js'
import { writers } from './scenarios/writers.js'
import { cluster } from './scenarios/cluster.js'
import { metricsCost } from './scenarios/metrics.js'
import type { RunOptions, ScenarioContext } from './scenarios/context.js'

const args = new Map(process.argv.slice(2).map((arg) => {
  const [name, value] = arg.replace(/^--/, '').split('=')
  return [name!, value ?? 'true']
}))
const quick = args.has('quick')
const check = args.has('check')
const list = (name: string, fallback: string[]) => args.get(name)?.split(',') ?? fallback
const scenarios = list('only', ['commit', 'writers', 'pairs', 'bigroom', 'idle', 'reconnect', 'cluster', 'metrics'])
const kinds = list('servers', SERVER_KINDS) as ServerKind[]
const options: RunOptions = {
  quick,
  steps: list('steps', quick ? ['300'] : ['200', '500', '1000', '2000', '5000', '10000', '20000', '40000']).map(Number),
  stepMs: Number(args.get('step-ms') ?? (quick ? 2000 : 10_000))
}
const adminUrl = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL
const profileDir = args.get('profile')
const built = args.has('built')
if (built && !existsSync(fileURLToPath(new URL('../dist/src/server.js', import.meta.url)))) {
  console.error('--built runs the compiled server: run `npm run build` first')
  process.exit(2)
}
const began = Date.now()
const log = (line: string) => console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}`)

log(`database: ${adminUrl === undefined ? 'PGlite (set DATABASE_URL for PostgreSQL)' : 'PostgreSQL'}; filling a fresh one`)
const database = await createBenchDatabase(adminUrl)
const ctx: ScenarioContext = { options, secret: randomBytes(24).toString('hex'), log }
const redisUrl = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const start = async (kind: ServerKind, redis?: { redisUrl: string, redisPrefix: string }, settings?: Record<string, string>) => ServerProcess.start(kind, {
  ...redis,
  ...(settings !== undefined && { settings }),
  port: await freePort(),
  secret: ctx.secret,
  roomsFile: database.roomsFile,
  ...(database.databaseUrl !== undefined && { databaseUrl: database.databaseUrl }),
  ...(database.pgliteDir !== undefined && { pgliteDir: database.pgliteDir }),
  ...(profileDir !== undefined && kind === 'project' && { cpuProfileDir: profileDir }),
  ...(built && { built })
})

const results: Results = {
  date: new Date().toISOString(),
  command: `${adminUrl === undefined ? '' : 'DATABASE_URL=postgres://… '}npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    database: adminUrl === undefined ? 'PGlite' : 'PostgreSQL'
  },
  targets: [],
  caveats: caveatsOf({
    quick,
    database: adminUrl === undefined ? 'PGlite' : 'PostgreSQL',
    partial: ['only', 'servers', 'steps', 'step-ms'].some((name) => args.has(name))
  })
}

type Figures = { pairs: PairsFigures, bigroom: BigroomFigures, idle: IdleFigures, reconnect: ReconnectFigures }
const SCENARIOS: { [S in keyof Figures]: (ctx: ScenarioContext, server: ServerProcess) => Promise<Figures[S]> } = { pairs, bigroom, idle, reconnect }
const figures: { [S in keyof Figures]: PerServer<Figures[S]> } = { pairs: {}, bigroom: {}, idle: {}, reconnect: {} }
const chosen = (['idle', 'pairs', 'bigroom', 'reconnect'] as const).filter((name) => scenarios.includes(name))
try {
  if (scenarios.includes('commit')) {
    log('commit: group commit on and off, in this process')
    results.commit = await commit(ctx, database)
  }
  if (scenarios.includes('writers')) {
    log('writers: 1, 2 and 3 writer processes (nodes) storing together on one PostgreSQL')
    const measured = await writers(ctx, database)
    if (measured !== undefined) results.writers = measured
  }
  if (quick) {
    // The smoke test: one server per kind for every scenario (idle first, on the fresh process).
    for (const kind of kinds) {
      const server = await start(kind)
      try {
        for (const name of chosen) { log(`${name} on ${kind}`); figures[name][kind] = await SCENARIOS[name](ctx, server) as never }
      } finally { await server.stop() }
    }
  } else {
    // The measurement: a fresh server for every scenario, the three kinds back to back.
    for (const name of chosen) {
      log(name)
      for (const kind of kinds) {
        const server = await start(kind)
        try { figures[name][kind] = await SCENARIOS[name](ctx, server) as never } finally { await server.stop() }
      }
    }
  }
  if (scenarios.includes('cluster') && kinds.includes('project')) {
    if (redisUrl === undefined || adminUrl === undefined) {
      log('cluster: skipped, two nodes need PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)')
    } else {
      log('cluster: the pairs load on one node, then with each pair split over two nodes sharing Redis')
      const redis = { redisUrl, redisPrefix: `bench-${randomBytes(4).toString('hex')}:` }
      results.cluster = await cluster(ctx, async (withRedis) => await start('project', withRedis ? redis : undefined))
    }
  }
  if (scenarios.includes('metrics') && kinds.includes('project')) {
    log('metrics: the pairs load on the project with METRICS=on and METRICS=off, alternating')
    results.metrics = await metricsCost(ctx, async (metrics) => await start('project', undefined, { METRICS: metrics }))
  }
} finally {
  await database.drop()
}
if (chosen.includes('pairs')) {
  const f = figures.pairs
  const maxRate = Object.fromEntries(Object.entries(f).map(([kind, one]) => [kind, one.maxRate]))
  results.pairs = { ...f, maxRate, ratioNaive: ratio(maxRate.project, maxRate.naive), ratioForward: ratio(maxRate.project, maxRate.forward) }
}
if (chosen.includes('bigroom')) {
  const f = figures.bigroom
  results.bigroom = { ...f, ratioNaive: ratio(f.project?.lastP99, f.naive?.lastP99), ratioForward: ratio(f.project?.lastP99, f.forward?.lastP99) }
}
if (chosen.includes('idle')) {
  const f = figures.idle
  const perConnection = (kind: ServerKind) => f[kind]?.levels.at(-1)?.rssPerConnectionKb
  results.idle = { ...f, ratioNaive: ratio(perConnection('project'), perConnection('naive')), ratioForward: ratio(perConnection('project'), perConnection('forward')) }
}
if (chosen.includes('reconnect')) {
  const f = figures.reconnect
  results.reconnect = { ...f, ratioNaive: ratio(f.project?.allBackMs, f.naive?.allBackMs), ratioForward: ratio(f.project?.allBackMs, f.forward?.allBackMs) }
}

results.targets = targets(results)
// Only a run that can be compared with the targets replaces the committed figures.
const caveats = results.caveats ?? []
const resultsPath = caveats.length === 0 ? 'results/' : 'results/scratch/'
const resultsDir = fileURLToPath(new URL(`./${resultsPath}`, import.meta.url))
mkdirSync(resultsDir, { recursive: true })
writeFileSync(`${resultsDir}latest.json`, JSON.stringify(results, null, 2) + '\n')
const table = markdown(results)
writeFileSync(`${resultsDir}latest.md`, table)
console.log(`\n${table}`)
log(`results in bench/${resultsPath}latest.json and latest.md${caveats.length === 0 ? '' : ` (not comparable with the targets: ${caveats.join('; ')})`}`)

const lost = [results.pairs, results.bigroom, results.idle, results.reconnect].flatMap((scenario) =>
  kinds.map((kind) => (scenario?.[kind] as { loss?: number } | undefined)?.loss ?? 0)).concat(results.cluster?.loss ?? 0, results.metrics?.loss ?? 0)
if (check && lost.some((loss) => loss !== 0)) {
  console.error('check failed: messages, deliveries or connections were lost (see the table above)')
  process.exitCode = 1
}

/** A port nobody listens on right now: the system picks it. */
function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/** The issue's targets, each with what this run measured (null when the run did not measure it). */
function targets (r: Results): Results['targets'] {
  const out: Results['targets'] = []
  const add = (target: string, value: string, met: boolean | null) => out.push({ target, value, met })
  const p = r.pairs
  if (p !== undefined) {
    add('pairs max rate ≥ 10× naive', `${p.ratioNaive ?? '–'}× (${p.maxRate.project} vs ${p.maxRate.naive} msg/s)`, p.ratioNaive === null ? null : p.ratioNaive >= 10)
    add('pairs max rate ≥ 50% of forward', `${p.ratioForward === null ? '–' : Math.round(p.ratioForward * 100)}% (${p.maxRate.project} vs ${p.maxRate.forward} msg/s)`, p.ratioForward === null ? null : p.ratioForward >= 0.5)
    const half = p.project?.steps.filter((step) => step.rate <= (p.maxRate.project ?? 0) / 2).at(-1)
    add('p99 ≤ 10 ms at half the project\'s max rate', half === undefined ? '–' : `${half.p99} ms at ${half.rate} msg/s`, half === undefined ? null : half.p99 <= 10)
  }
  const b = r.bigroom
  if (b !== undefined) add('bigroom last-member p99 ≤ 1.5× forward', `${b.ratioForward ?? '–'}× (${b.project?.lastP99} vs ${b.forward?.lastP99} ms)`, b.ratioForward === null ? null : b.ratioForward <= 1.5)
  const i = r.idle?.project?.levels.at(-1)
  if (i !== undefined) add(`idle ≤ 10 KB RSS per connection at ${i.connections}`, `${i.rssPerConnectionKb} KB`, i.rssPerConnectionKb <= 10)
  const m = r.metrics
  if (m !== undefined) add('pairs max rate with metrics on ≥ 95% of off', `${m.maxRateRatio === null ? '–' : Math.round(m.maxRateRatio * 100)}% (peak stored ${m.peakRatio === null ? '–' : Math.round(m.peakRatio * 100)}%)`, m.maxRateRatio === null ? null : m.maxRateRatio >= 0.95)
  const c = r.reconnect?.project
  if (c !== undefined) add(`reconnect: ${c.clients} back and caught up within 10 s`, `${c.allBackMs} ms (${c.catchUp}), ${c.failed} failed`, c.failed === 0 && c.allBackMs <= 10_000)
  return out
}
