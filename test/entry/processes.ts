import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { TEST_CONFIG } from '../helpers.js'

/** The repository root: entry points run from there, as `npm start` runs them. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The server's own entry point, as `npm start` runs it. */
export const SERVER = ['--import', 'tsx', 'src/server.ts']

/**
 * An environment for a child entry point: the parent's (PATH, HOME) without any of the server's settings,
 * so only what a test passes reaches the child.
 */
export function childEnv (settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(NODE_ENV|PORT|HOST|LOG_LEVEL|DATABASE_URL|PGLITE_DIR|JWT_.*|DEMO_SEED|ALLOWED_ORIGINS|REDIS_URL|EMBEDDED_DB_IN_PRODUCTION|TRUST_PROXY|METRICS.*)$/.test(key)) env[key] = value
  }
  return { ...env, NODE_ENV: 'test', JWT_SECRET: String(TEST_CONFIG.JWT_SECRET), ...settings }
}

/** A temporary directory removed when the test ends. */
export function tempDir (t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface ChildRun {
  child: ChildProcess
  /** Everything written so far, by stream. */
  readonly stdout: string
  readonly stderr: string
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Resolves with the first stdout line that matches, or rejects once the process exits without one. */
  line: (match: RegExp) => Promise<string>
  stop: () => Promise<void>
}

/** Starts `node <args>` from the repository root; it is killed when the test ends if still running. */
export function runNode (t: TestContext, args: string[], env: NodeJS.ProcessEnv): ChildRun {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let wake = () => {}
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; wake() })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; wake() })
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  let done = false
  void exited.then(() => { done = true; wake() })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  t.after(stop)
  return {
    child,
    get stdout () { return stdout },
    get stderr () { return stderr },
    exited,
    stop,
    line: async (match) => {
      for (;;) {
        const found = stdout.split('\n').find((line) => match.test(line))
        if (found !== undefined) return found
        if (done) throw new Error(`exited without a line matching ${match}; stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`)
        await new Promise<void>((resolve) => { wake = resolve })
      }
    }
  }
}

/** The port from Fastify's "Server listening at http://127.0.0.1:PORT" record. */
export const listeningPort = (line: string): number => Number(/:(\d+)$/.exec(JSON.parse(line).msg as string)?.[1])
