import type { ServerProcess } from '../lib/servers.js'
import { median, round, type ScenarioContext } from './context.js'
import { pairs, type PairsFigures } from './pairs.js'

export interface MetricsRun {
  metrics: 'on' | 'off'
  maxRate: number
  peakStoredPerS: number
  /** Server CPU % at the highest rate both settings sustained: the cost at equal load. */
  cpuAtCommonRate: number | undefined
  loss: number
}

export interface MetricsFigures {
  /**
   * The run before the measured ones (metrics off, not counted): the first server after the database fill
   * is the slowest whatever its setting, and would otherwise be charged to one side.
   */
  warmUp: { maxRate: number, peakStoredPerS: number } | undefined
  /**
   * Balanced runs, on/off/off/on/off/on/on/off (one of each with --quick), so neither a drifting machine
   * nor a growing table favours a setting.
   */
  runs: MetricsRun[]
  /**
   * Median of the max sustained rates with metrics on ÷ the median with metrics off: one run whose
   * machine stalled moves a median less than a sum.
   */
  maxRateRatio: number | null
  /** The same for the peak stored rate, which steps do not round. */
  peakRatio: number | null
  /** The highest step every run sustained, and the CPU there with metrics on ÷ off. */
  commonRate: number | undefined
  cpuRatio: number | null
  loss: number
}

/** The order of the measured runs: each half is the mirror of the other, and the second half swaps the settings. */
const BALANCED: Array<'on' | 'off'> = ['on', 'off', 'off', 'on', 'off', 'on', 'on', 'off']

/**
 * The cost of metrics: the pairs scenario against the project with METRICS=on and METRICS=off, in the
 * same run, after a warm-up run. `start(metrics)` starts a fresh project server with that setting.
 */
export async function metricsCost (ctx: ScenarioContext, start: (metrics: 'on' | 'off') => Promise<ServerProcess>): Promise<MetricsFigures> {
  const once = async (metrics: 'on' | 'off'): Promise<PairsFigures> => {
    const server = await start(metrics)
    try {
      return await pairs(ctx, server)
    } finally {
      await server.stop()
    }
  }
  let warmUp: MetricsFigures['warmUp']
  if (!ctx.options.quick) {
    ctx.log('  warm-up (metrics off, not counted)')
    const figures = await once('off')
    warmUp = { maxRate: figures.maxRate, peakStoredPerS: figures.peakStoredPerS }
  }
  const order: Array<'on' | 'off'> = ctx.options.quick ? ['on', 'off'] : BALANCED
  const measured: Array<{ metrics: 'on' | 'off', figures: PairsFigures }> = []
  for (const metrics of order) {
    ctx.log(`  metrics ${metrics}`)
    measured.push({ metrics, figures: await once(metrics) })
  }
  const sustained = (figures: PairsFigures) => new Set(figures.steps.filter((step) => step.sustained).map((step) => step.rate))
  const common = measured.map(({ figures }) => sustained(figures)).reduce((a, b) => new Set([...a].filter((rate) => b.has(rate))))
  const commonRate = common.size === 0 ? undefined : Math.max(...common)
  const runs: MetricsRun[] = measured.map(({ metrics, figures }) => ({
    metrics,
    maxRate: figures.maxRate,
    peakStoredPerS: figures.peakStoredPerS,
    cpuAtCommonRate: figures.steps.find((step) => step.rate === commonRate)?.cpuPercent,
    loss: figures.loss
  }))
  const middle = (setting: 'on' | 'off', pick: (run: MetricsRun) => number | undefined) =>
    median(runs.filter((run) => run.metrics === setting).map((run) => pick(run) ?? 0))
  const quotient = (pick: (run: MetricsRun) => number | undefined) => {
    const off = middle('off', pick)
    return off === 0 ? null : round(middle('on', pick) / off, 3)
  }
  return {
    warmUp,
    runs,
    maxRateRatio: quotient((run) => run.maxRate),
    peakRatio: quotient((run) => run.peakStoredPerS),
    commonRate,
    cpuRatio: commonRate === undefined ? null : quotient((run) => run.cpuAtCommonRate),
    loss: runs.reduce((n, run) => n + run.loss, 0)
  }
}
