export interface RunOptions {
  quick: boolean
  /** Total send rates of the pairs steps, msg/s. */
  steps: number[]
  stepMs: number
}

export interface ScenarioContext {
  options: RunOptions
  secret: string
  log: (line: string) => void
}

export const MB = 1024 * 1024
export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

/** The median of `values` (the mean of the middle two for an even count). */
export function median (values: number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
