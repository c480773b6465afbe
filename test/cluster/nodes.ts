import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { freePort } from '../security/private-cluster.js'
import { TEST_CONFIG } from '../helpers.js'

/** One chat server in a process of its own: src/server.ts, as a deployment runs it. */
export interface NodeProcess {
  readonly name: string
  readonly port: number
  /** The node's /ws address. */
  readonly url: string
  readonly http: string
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** What the node wrote on stderr (its warnings and errors), for a failing test's message. */
  output: () => string
  /** Graceful shutdown, as an orchestrator asks for it; resolves when the process has exited. */
  terminate: () => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** A crash: no goodbye to anyone. */
  kill: () => Promise<void>
  /** GET /readyz: its status and body. */
  readiness: () => Promise<{ status: number, body: Record<string, unknown> }>
}

export interface NodeSettings {
  databaseUrl: string
  /** Unset: the node runs alone, without Redis. */
  redisUrl?: string
  redisPrefix?: string
  /** More settings for this node (environment names). */
  env?: Record<string, string>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A prefix for keys and channels that no other test run on the machine's Redis uses. */
export const uniquePrefix = (): string => `chat-test-${randomBytes(5).toString('hex')}:`

/** How long a node may take to start on a loaded machine (loading TypeScript, connecting, migrating). */
const START_LIMIT_MS = 150_000

/** Starts src/server.ts in a child process and resolves once /readyz answers 200. */
export async function startNode (name: string, settings: NodeSettings): Promise<NodeProcess> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: process.env.NODE_LOG_LEVEL ?? 'warn',
    JWT_SECRET: String(TEST_CONFIG.JWT_SECRET),
    DEMO_SEED: 'false',
    RATE_LIMIT_PER_S: '100000',
    RATE_LIMIT_BURST: '100000',
    CLOSE_GRACE_MS: '200',
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl ?? '',
    REDIS_PREFIX: settings.redisPrefix ?? '',
    ...settings.env
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: process.cwd(), env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-20_000) })
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  const http = `http://127.0.0.1:${port}`
  const running = () => child.exitCode === null && child.signalCode === null
  const node: NodeProcess = {
    name,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    http,
    exited,
    output: () => stderr,
    terminate: async () => {
      if (running()) child.kill('SIGTERM')
      return await exited
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL')
      await exited
    },
    readiness: async () => {
      const response = await fetch(`${http}/readyz`)
      return { status: response.status, body: await response.json() as Record<string, unknown> }
    }
  }
  const deadline = Date.now() + START_LIMIT_MS
  for (;;) {
    if (!running()) throw new Error(`node ${name} exited while starting: ${stderr}`)
    const ready = await node.readiness().then((answer) => answer.status === 200, () => false)
    if (ready) return node
    if (Date.now() > deadline) {
      await node.kill()
      throw new Error(`node ${name} not ready within ${START_LIMIT_MS} ms: ${stderr}`)
    }
    await sleep(100)
  }
}
