/**
 * The benchmark: `npm run bench [-- --quick] [-- --check] [--only=pairs,bigroom] [--servers=project,naive]
 * [--steps=1000,5000] [--step-ms=10000] [--profile=dir]`.
 * Each scenario runs against the project and the two baseline peers (bench/peers/), one after another,
 * each server in its own process, and writes bench/results/latest.json and latest.md.
 */
import { cpus, totalmem } from 'node:os'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { createBenchDatabase } from './lib/database.js'
import { SERVER_KINDS, ServerProcess, type ServerKind } from './lib/servers.js'
import { markdown, ratio, type Results } from './lib/report.js'
import { pairs } from './scenarios/pairs.js'
import { bigroom } from './scenarios/bigroom.js'
import { idle } from './scenarios/idle.js'
import { reconnect } from './scenarios/reconnect.js'
import type { RunOptions, ScenarioContext } from './scenarios/context.js'

const args = new Map(process.argv.slice(2).map((arg) => {
  const [name, value] = arg.replace(/^--/, '').split('=')
  return [name!, value ?? 'true']
}))
const quick = args.has('quick')
const check = args.has('check')
const list = (name: string, fallback: string[]) => args.get(name)?.split(',') ?? fallback
const scenarios = list('only', ['pairs', 'bigroom', 'idle', 'reconnect'])
const kinds = list('servers', SERVER_KINDS) as ServerKind[]
const options: RunOptions = {
  quick,
  steps: list('steps', quick ? ['1000', '4000'] : ['500', '1000', '2000', '5000', '10000', '20000', '40000']).map(Number),
  stepMs: Number(args.get('step-ms') ?? (quick ? 3000 : 10_000))
}
const adminUrl = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL
const profileDir = args.get('profile')
const began = Date.now()
const log = (line: string) => console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}`)

log(`database: ${adminUrl === undefined ? 'PGlite (set DATABASE_URL for PostgreSQL)' : 'PostgreSQL'}; filling a fresh one`)
const database = await createBenchDatabase(adminUrl)
let port = 4100 + Math.floor(Math.random() * 500)
const ctx: ScenarioContext = {
  options,
  secret: randomBytes(24).toString('hex'),
  log,
  start: (kind) => ServerProcess.start(kind, {
    port: ++port,
    secret: ctx.secret,
    roomsFile: database.roomsFile,
    ...(database.databaseUrl !== undefined && { databaseUrl: database.databaseUrl }),
    ...(database.pgliteDir !== undefined && { pgliteDir: database.pgliteDir }),
    ...(profileDir !== undefined && kind === 'project' && { cpuProfileDir: profileDir })
  })
}

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
  targets: []
}

try {
  if (scenarios.includes('pairs')) {
    log('pairs')
    const figures = Object.fromEntries(await sequence(kinds, (kind) => pairs(ctx, kind)))
    const maxRate = Object.fromEntries(Object.entries(figures).map(([kind, f]) => [kind, f.maxRate]))
    results.pairs = { ...figures, maxRate, ratioNaive: ratio(maxRate.project, maxRate.naive), ratioForward: ratio(maxRate.project, maxRate.forward) }
  }
  if (scenarios.includes('bigroom')) {
    log('bigroom')
    const figures = Object.fromEntries(await sequence(kinds, (kind) => bigroom(ctx, kind)))
    results.bigroom = { ...figures, ratioNaive: ratio(figures.project?.lastP99, figures.naive?.lastP99), ratioForward: ratio(figures.project?.lastP99, figures.forward?.lastP99) }
  }
  if (scenarios.includes('idle')) {
    log('idle')
    const figures = Object.fromEntries(await sequence(kinds, (kind) => idle(ctx, kind)))
    const perConnection = (kind: ServerKind) => figures[kind]?.levels.at(-1)?.rssPerConnectionKb
    results.idle = { ...figures, ratioNaive: ratio(perConnection('project'), perConnection('naive')), ratioForward: ratio(perConnection('project'), perConnection('forward')) }
  }
  if (scenarios.includes('reconnect')) {
    log('reconnect')
    const figures = Object.fromEntries(await sequence(kinds, (kind) => reconnect(ctx, kind)))
    results.reconnect = { ...figures, ratioNaive: ratio(figures.project?.allBackMs, figures.naive?.allBackMs), ratioForward: ratio(figures.project?.allBackMs, figures.forward?.allBackMs) }
  }
} finally {
  await database.drop()
}

results.targets = targets(results)
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(resultsDir, { recursive: true })
writeFileSync(`${resultsDir}latest.json`, JSON.stringify(results, null, 2) + '\n')
const table = markdown(results)
writeFileSync(`${resultsDir}latest.md`, table)
console.log(`\n${table}`)
log('results in bench/results/latest.json and latest.md')

const lost = [results.pairs, results.bigroom, results.idle, results.reconnect].flatMap((scenario) =>
  kinds.map((kind) => (scenario?.[kind] as { loss?: number } | undefined)?.loss ?? 0))
if (check && lost.some((loss) => loss !== 0)) {
  console.error('check failed: messages, deliveries or connections were lost (see the table above)')
  process.exitCode = 1
}

async function sequence<F> (list: ServerKind[], run: (kind: ServerKind) => Promise<F>): Promise<Array<[ServerKind, F]>> {
  const out: Array<[ServerKind, F]> = []
  for (const kind of list) out.push([kind, await run(kind)])
  return out
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
  const c = r.reconnect?.project
  if (c !== undefined) add(`reconnect: ${c.clients} back and caught up within 10 s`, `${c.allBackMs} ms (${c.catchUp}), ${c.failed} failed`, c.failed === 0 && c.allBackMs <= 10_000)
  return out
}
