import { fork, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { ProbeReading } from './probe.js'

export type ServerKind = 'project' | 'naive' | 'forward'
export const SERVER_KINDS: ServerKind[] = ['project', 'naive', 'forward']

const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url))
/** The compiled server (`npm run build`), as `npm run start:prod` runs it. */
const BUILT = fileURLToPath(new URL('../../dist/src/server.js', import.meta.url))

const ENTRY: Record<ServerKind, string> = {
  project: fileURLToPath(new URL('./project-server.ts', import.meta.url)),
  naive: fileURLToPath(new URL('../peers/naive.ts', import.meta.url)),
  forward: fileURLToPath(new URL('../peers/forward.ts', import.meta.url))
}

/** Limits the hardening settings would otherwise apply to a benchmark's thousands of clients from one host. */
const GENEROUS_LIMITS = {
  RATE_LIMIT_PER_S: '1000000',
  RATE_LIMIT_BURST: '1000000',
  MAX_CONNECTIONS_PER_IP: '1000000',
  MAX_DEVICES_PER_USER: '1000',
  AUTH_TIMEOUT_MS: '600000'
}

export interface ServerOptions {
  port: number
  secret: string
  databaseUrl?: string
  pgliteDir?: string
  /** Room membership file for the forward peer. */
  roomsFile: string
  cpuProfileDir?: string
  /** The project's compiled server instead of its sources under tsx. */
  built?: boolean
  /** Several nodes of the project share this Redis (and its key prefix). */
  redisUrl?: string
  redisPrefix?: string
  /** More settings of the project's server (METRICS=off). */
  settings?: Record<string, string>
}

/** One benchmarked server in its own process. */
export class ServerProcess {
  readonly kind: ServerKind
  readonly url: string
  private readonly child: ChildProcess
  private readonly exited: Promise<void>

  private constructor (kind: ServerKind, options: ServerOptions) {
    this.kind = kind
    this.url = `ws://127.0.0.1:${options.port}/ws`
    const built = kind === 'project' && options.built === true
    // The compiled server loads only JavaScript; tsx is there for the probe alone.
    const execArgv = ['--import', 'tsx', ...(built ? ['--import', PROBE] : []), '--expose-gc']
    if (options.cpuProfileDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`)
    this.child = fork(built ? BUILT : ENTRY[kind], [], {
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: {
        ...process.env,
        ...GENEROUS_LIMITS,
        NODE_ENV: 'benchmark',
        PORT: String(options.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DEMO_SEED: 'false',
        JWT_SECRET: options.secret,
        DATABASE_URL: options.databaseUrl ?? '',
        ...(options.pgliteDir !== undefined && { PGLITE_DIR: options.pgliteDir }),
        BENCH_ROOMS_FILE: options.roomsFile,
        REDIS_URL: options.redisUrl ?? '',
        REDIS_PREFIX: options.redisPrefix ?? '',
        ...options.settings
      }
    })
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()))
  }

  static async start (kind: ServerKind, options: ServerOptions): Promise<ServerProcess> {
    const server = new ServerProcess(kind, options)
    const deadline = Date.now() + 60_000
    while (!await portOpen(options.port)) {
      if (server.child.exitCode !== null) throw new Error(`${kind} server exited with ${server.child.exitCode}`)
      if (Date.now() > deadline) throw new Error(`${kind} server did not start`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return server
  }

  probe (gc = false): Promise<ProbeReading> {
    return new Promise((resolve) => {
      const listener = (message: { reading?: ProbeReading }) => {
        if (message.reading === undefined) return
        this.child.off('message', listener)
        resolve(message.reading)
      }
      this.child.on('message', listener)
      this.child.send({ probe: true, gc })
    })
  }

  /** SIGTERM (graceful close; a CPU profile is written on the way out), SIGKILL if it hangs. */
  async stop (): Promise<void> {
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000)
    await this.exited
    clearTimeout(timer)
  }
}

function portOpen (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.end(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/** CPU use between two readings, in percent of one core. */
export const cpuPercent = (before: ProbeReading, after: ProbeReading, wallMs: number) =>
  Math.round((after.cpuMs - before.cpuMs) / wallMs * 100)
