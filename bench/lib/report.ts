import type { BigroomFigures } from '../scenarios/bigroom.js'
import type { CommitFigures } from '../scenarios/commit.js'
import type { WritersFigures } from '../scenarios/writers.js'
import type { ClusterFigures } from '../scenarios/cluster.js'
import type { MetricsFigures } from '../scenarios/metrics.js'
import type { IdleFigures } from '../scenarios/idle.js'
import type { PairsFigures } from '../scenarios/pairs.js'
import type { ReconnectFigures } from '../scenarios/reconnect.js'
import { SERVER_KINDS, type ServerKind } from './servers.js'

export type PerServer<F> = Partial<Record<ServerKind, F>>

export interface Results {
  date: string
  command: string
  machine: { cpus: number, cpuModel: string, memoryGb: number, node: string, database: string }
  commit?: CommitFigures
  writers?: WritersFigures
  cluster?: ClusterFigures
  metrics?: MetricsFigures
  pairs?: PerServer<PairsFigures> & { maxRate: PerServer<number>, ratioNaive: number | null, ratioForward: number | null }
  bigroom?: PerServer<BigroomFigures> & { ratioNaive: number | null, ratioForward: number | null }
  idle?: PerServer<IdleFigures> & { ratioNaive: number | null, ratioForward: number | null }
  reconnect?: PerServer<ReconnectFigures> & { ratioNaive: number | null, ratioForward: number | null }
  targets: Array<{ target: string, value: string, met: boolean | null }>
  /** Why this run's figures cannot be set against the targets; empty (or absent in older runs) for a full run on PostgreSQL. */
  caveats?: string[]
}

export interface RunShape {
  quick: boolean
  database: 'PGlite' | 'PostgreSQL'
  /** --only, --servers, --steps or --step-ms narrowed the run. */
  partial: boolean
}

/**
 * What keeps a run from being compared with the targets. Only a full run on PostgreSQL is the one kept in
 * the repository (bench/results/latest.json); every other run is written to bench/results/scratch/.
 */
export function caveatsOf (run: RunShape): string[] {
  const caveats: string[] = []
  if (run.quick) caveats.push('a --quick smoke run (small populations, one short step)')
  if (run.database === 'PGlite') caveats.push('PGlite runs inside the server\'s thread; the targets are for PostgreSQL')
  if (run.partial) caveats.push('a partial run (--only, --servers, --steps or --step-ms)')
  return caveats
}

/** project ÷ peer, two decimals; null when either side is missing or the peer's figure is 0. */
export const ratio = (project: number | undefined, peer: number | undefined): number | null =>
  project === undefined || peer === undefined || peer === 0 ? null : Math.round(project / peer * 100) / 100

const cell = (value: number | string | null | undefined) => value === null || value === undefined ? '–' : String(value)

/** The markdown tables of a run: one per scenario, one column per server, then the ratios and targets. */
export function markdown (results: Results): string {
  const lines = [
    `Run of ${results.date} on ${results.machine.cpus} cores (${results.machine.cpuModel}), ${results.machine.memoryGb} GB, Node ${results.machine.node}, ${results.machine.database}.`,
    `Command: \`${results.command}\``,
    ''
  ]
  const caveats = results.caveats ?? []
  if (caveats.length > 0) lines.push(`**Not comparable with the targets:** ${caveats.join('; ')}.`, '')
  const table = (title: string, rows: Array<[string, ...Array<number | string | null | undefined>]>) => {
    lines.push(`**${title}**`, '', '| | project | naive | forward | project/naive | project/forward |', '|---|---|---|---|---|---|')
    for (const [name, ...values] of rows) lines.push(`| ${name} | ${values.map(cell).join(' | ')} |`)
    lines.push('')
  }
  const { commit, writers, cluster, pairs, bigroom, idle, reconnect, metrics } = results
  if (metrics !== undefined) {
    lines.push(`**Metrics cost** (the pairs load on the project with METRICS=on and off, alternating; medians per setting): max rate on/off ${cell(metrics.maxRateRatio)}, peak stored on/off ${cell(metrics.peakRatio)}, CPU on/off at ${cell(metrics.commonRate)} msg/s ${cell(metrics.cpuRatio)}`, '',
      '| metrics | max sustained msg/s | peak stored msg/s | CPU % at the common rate | lost |', '|---|---|---|---|---|')
    if (metrics.warmUp !== undefined) lines.push(`| warm-up (off, not counted) | ${metrics.warmUp.maxRate} | ${metrics.warmUp.peakStoredPerS} | – | – |`)
    for (const run of metrics.runs) lines.push(`| ${run.metrics} | ${run.maxRate} | ${run.peakStoredPerS} | ${cell(run.cpuAtCommonRate)} | ${run.loss} |`)
    lines.push('')
  }
  if (cluster !== undefined) {
    lines.push('**Cluster** (the pairs load with the two members of each pair in different load processes: both on one node, then each on its own node, every message crossing Redis)', '',
      '| msg/s sent | one node: stored/s | p50 ms | p99 ms | two nodes: stored/s | p50 ms | p99 ms |', '|---|---|---|---|---|---|---|')
    for (const one of cluster.oneNode) {
      const two = cluster.twoNodes.find((step) => step.rate === one.rate)
      lines.push(`| ${one.rate} | ${one.storedPerS} | ${one.p50} | ${one.p99} | ${two?.storedPerS ?? '–'} | ${two?.p50 ?? '–'} | ${two?.p99 ?? '–'} |`)
    }
    lines.push('')
  }
  if (writers !== undefined) {
    lines.push(`**Writers** (1, 2 and 3 processes, each a MessageStore with its own pool as a node has, storing at full speed into disjoint rooms of one PostgreSQL): ${writers.scaling ?? '–'}× the messages per second of one`, '',
      '| writers | change-order lock | msg/s together | storing (average) | of them waiting for an advisory lock |', '|---|---|---|---|---|')
    for (const run of writers.runs) lines.push(`| ${run.writers} | ${run.ownLock ? 'one each' : 'shared'} | ${run.perS} | ${run.storing} | ${run.lockWaiting} |`)
    lines.push('')
  }
  if (commit !== undefined) {
    lines.push(`**Group commit** (the project's store alone, in the benchmark's process, a burst of messages over the pair rooms): ${commit.gain ?? '–'}× the messages per second of one transaction per message`, '',
      '| messages per transaction | burst | msg/s | p50 ms | p99 ms |', '|---|---|---|---|---|')
    for (const run of commit.runs) lines.push(`| ${run.maxBatch === 1 ? '1 (group commit off)' : `up to ${run.maxBatch}`} | ${run.messages} | ${run.perS} | ${run.p50} | ${run.p99} |`)
    lines.push('')
  }
  if (pairs !== undefined) {
    const best = (kind: ServerKind) => pairs[kind]?.steps.find((step) => step.rate === pairs.maxRate[kind])
    const at = (kind: ServerKind, pick: (step: PairsFigures['steps'][number]) => string | number) => { const step = best(kind); return step === undefined ? undefined : pick(step) }
    const peak = (kind: ServerKind) => pairs[kind]?.peakStoredPerS
    table('pairs: connections in two-member rooms, total send rate stepped up', [
      ['max sustainable rate (msg/s, p99 ≤ 50 ms, no loss)', pairs.maxRate.project, pairs.maxRate.naive, pairs.maxRate.forward, pairs.ratioNaive, pairs.ratioForward],
      ['p50 / p99 ms at that rate', ...SERVER_KINDS.map((kind) => at(kind, (s) => `${s.p50} / ${s.p99}`))],
      ['server CPU % / RSS MB at that rate', ...SERVER_KINDS.map((kind) => at(kind, (s) => `${s.cpuPercent} / ${s.rssMb}`))],
      ['peak stored msg/s (any step)', peak('project'), peak('naive'), peak('forward'), ratio(peak('project'), peak('naive')), ratio(peak('project'), peak('forward'))],
      ['messages lost', pairs.project?.loss, pairs.naive?.loss, pairs.forward?.loss]
    ])
    lines.push('Steps (rate → stored/s, delivered/s, p50/p99/max ms, loss stored/delivered, CPU %, RSS MB):', '')
    for (const kind of ['project', 'naive', 'forward'] as const) {
      for (const s of pairs[kind]?.steps ?? []) {
        lines.push(`- ${kind} ${s.rate}: ${s.storedPerS}/s, ${s.deliveredPerS}/s, ${s.p50}/${s.p99}/${s.max}, ${s.lossStored}/${s.lossDelivered}, ${s.cpuPercent} %, ${s.rssMb} MB${s.sustained ? '' : ' (not sustained)'}`)
      }
    }
    lines.push('')
  }
  if (bigroom !== undefined) {
    table(`bigroom: ${bigroom.project?.members ?? bigroom.forward?.members} connected members, one sender at 50 msg/s (time until the last member has the message)`, [
      ['p50 ms', bigroom.project?.lastP50, bigroom.naive?.lastP50, bigroom.forward?.lastP50, ratio(bigroom.project?.lastP50, bigroom.naive?.lastP50), ratio(bigroom.project?.lastP50, bigroom.forward?.lastP50)],
      ['p99 ms', bigroom.project?.lastP99, bigroom.naive?.lastP99, bigroom.forward?.lastP99, bigroom.ratioNaive, bigroom.ratioForward],
      ['max ms', bigroom.project?.lastMax, bigroom.naive?.lastMax, bigroom.forward?.lastMax],
      ['deliveries lost', bigroom.project?.loss, bigroom.naive?.loss, bigroom.forward?.loss]
    ])
  }
  if (idle !== undefined) {
    const level = (kind: ServerKind, index: number) => idle[kind]?.levels[index]
    const rows: Array<[string, ...Array<number | string | null | undefined>]> = []
    for (const index of [0, 1]) {
      const n = level('project', index)?.connections ?? level('forward', index)?.connections
      rows.push([`RSS KB per connection at ${n}`, level('project', index)?.rssPerConnectionKb, level('naive', index)?.rssPerConnectionKb, level('forward', index)?.rssPerConnectionKb,
        index === 1 ? idle.ratioNaive : null, index === 1 ? idle.ratioForward : null])
      rows.push([`heap KB per connection at ${n}`, level('project', index)?.heapPerConnectionKb, level('naive', index)?.heapPerConnectionKb, level('forward', index)?.heapPerConnectionKb])
    }
    rows.push(['failed connections', idle.project?.loss, idle.naive?.loss, idle.forward?.loss])
    table('idle: logged-in idle connections (server memory after a full GC, above the empty server)', rows)
  }
  if (reconnect !== undefined) {
    table(`reconnect: ${reconnect.project?.clients ?? reconnect.forward?.clients} clients drop and come back at once`, [
      ['catch-up after login', reconnect.project?.catchUp, reconnect.naive?.catchUp, reconnect.forward?.catchUp],
      ['all back and caught up, ms', reconnect.project?.allBackMs, reconnect.naive?.allBackMs, reconnect.forward?.allBackMs, reconnect.ratioNaive, reconnect.ratioForward],
      ['p50 / p99 per client, ms', `${cell(reconnect.project?.p50)} / ${cell(reconnect.project?.p99)}`, `${cell(reconnect.naive?.p50)} / ${cell(reconnect.naive?.p99)}`, `${cell(reconnect.forward?.p50)} / ${cell(reconnect.forward?.p99)}`],
      ['attempts retried', reconnect.project?.retries, reconnect.naive?.retries, reconnect.forward?.retries],
      ['failed after 5 attempts', reconnect.project?.failed, reconnect.naive?.failed, reconnect.forward?.failed]
    ])
  }
  const comparable = caveats.length === 0
  lines.push(comparable ? '**Targets**' : '**Targets** (for reference only: this run cannot be compared with them)', '', '| target | measured | met |', '|---|---|---|')
  const verdict = (met: boolean | null) => met === null ? 'not measured' : !comparable ? 'not comparable' : met ? 'yes' : 'no'
  for (const target of results.targets) lines.push(`| ${target.target} | ${target.value} | ${verdict(target.met)} |`)
  return lines.join('\n') + '\n'
}
