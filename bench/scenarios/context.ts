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
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
