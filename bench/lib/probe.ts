/**
 * Imported first by every benchmarked server process: answers the orchestrator's IPC question for the
 * process's CPU time and memory (after a full collection when the process runs with --expose-gc).
 */
export interface ProbeReading {
  rss: number
  heapUsed: number
  /** CPU time used so far, user + system, in milliseconds. */
  cpuMs: number
}

process.on('message', (message: { probe?: boolean, gc?: boolean }) => {
  if (message.probe !== true) return
  const gc = (globalThis as { gc?: () => void }).gc
  if (message.gc === true && gc !== undefined) gc()
  const memory = process.memoryUsage()
  const cpu = process.cpuUsage()
  const reading: ProbeReading = { rss: memory.rss, heapUsed: memory.heapUsed, cpuMs: (cpu.user + cpu.system) / 1000 }
  process.send?.({ reading })
})
// The orchestrator going away must not leave a server behind.
process.on('disconnect', () => process.exit(0))
