import { after, before, type TestContext } from 'node:test'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import postgres from 'postgres'
import { buildApp } from '../src/app.js'
import { openDatabase, truncateAll, type Database } from '../src/db/client.js'
import { seedDemoData } from '../src/chat/demo.js'
import { mintToken } from '../src/auth/mint-token.js'
import type { ConfigInput } from '../plugins/config.js'

/** Which database the suites run on: PostgreSQL when DATABASE_URL is set, in-memory PGlite otherwise. */
export const onPostgres = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''

/** Opens a fresh PostgreSQL database (dropped afterwards) or an in-memory PGlite for one test file. */
export async function openTestDatabase (): Promise<{ database: Database, url?: string, drop: () => Promise<void> }> {
  if (!onPostgres) {
    const database = await openDatabase({ pgliteDir: 'memory://' })
    return { database, drop: () => database.close() }
  }
  const adminUrl = process.env.DATABASE_URL!
  const name = `chat_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), poolMax: 10 })
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close()
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
    }
  }
}

/**
 * One database for the whole test file (PGlite takes seconds to start), opened before the first test
 * and dropped after the last. Call at the top level of a test file.
 */
export function useDatabase (): { readonly database: Database, readonly url: string | undefined } {
  let opened: Awaited<ReturnType<typeof openTestDatabase>> | undefined
  before(async () => { opened = await openTestDatabase() })
  after(async () => { await opened?.drop() })
  return {
    get database () { return opened!.database },
    get url () { return opened!.url }
  }
}

/** Settings every test app gets; a test overrides what it is about. */
export const TEST_CONFIG: ConfigInput = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'test-secret-of-sufficient-length-0123456789',
  DATABASE_URL: '',
  HEARTBEAT_INTERVAL_MS: 30_000,
  CLOSE_GRACE_MS: 20
}

/**
 * Builds the real app on the shared database with the demo data freshly written (every table emptied
 * first), and closes it when the test ends.
 */
export async function build (t: TestContext, database: Database, config: ConfigInput = {}): Promise<FastifyInstance> {
  await truncateAll(database.db)
  await seedDemoData(database.db)
  const app = await buildApp({ config: { ...TEST_CONFIG, ...config }, database })
  t.after(() => app.close())
  await app.ready()
  return app
}

export const tokenFor = (app: FastifyInstance, userId: string | number, expiresIn: string | number = '1h') =>
  mintToken(app.config, userId, expiresIn)

// Frames are arbitrary JSON that assertions reach into.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>

/** A WebSocket client that keeps every frame it receives, for tests to take in order. */
export class TestClient {
  readonly ws: WebSocket
  private readonly frames: Frame[] = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number, reason: string }>

  constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? { binary: data } : JSON.parse(data.toString()))
      this.wake()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => { this.wake(); resolve({ code, reason: reason.toString() }) })
    })
    ws.on('error', () => {})
  }

  private wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
  }

  send (frame: Frame | string | Buffer, options?: { binary?: boolean }): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame), options ?? {})
  }

  /** Takes the first received frame that matches (by default: any), waiting up to `timeoutMs`. */
  async next (match: (frame: Frame) => boolean = () => true, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.frames.findIndex(match)
      if (index >= 0) return this.frames.splice(index, 1)[0]!
      const left = deadline - Date.now()
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`no matching frame within ${timeoutMs} ms; received: ${JSON.stringify(this.frames).slice(0, 500)}`)
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  /** Sends a command and takes the direct answer to it (same command, or the pong). */
  async request (frame: Frame, timeoutMs = 3000): Promise<Frame> {
    this.send(frame)
    const expected = frame.command === 'ping' ? 'pong' : frame.command
    return this.next((received) => received.command === expected && (received.result !== undefined || expected === 'pong'), timeoutMs)
  }

  /** Frames received and not yet taken. */
  pending (): Frame[] {
    return [...this.frames]
  }

  /** Waits `ms` and returns what arrived meanwhile (and was not taken). */
  async settle (ms = 150): Promise<Frame[]> {
    await new Promise((resolve) => setTimeout(resolve, ms))
    return this.pending()
  }

  async login (app: FastifyInstance, userId: string | number, uuid = `device-${userId}`): Promise<Frame> {
    const answer = await this.request({ command: 'user_login', userId: Number(userId), token: tokenFor(app, userId), uuid })
    if (answer.result !== 'success') throw new Error(`login of ${userId} failed: ${JSON.stringify(answer)}`)
    return answer
  }

  close (): void {
    this.ws.close()
  }
}

/** A client over `injectWS` (no real port). */
export async function connect (app: FastifyInstance): Promise<TestClient> {
  let client: TestClient | undefined
  const ws = await app.injectWS('/ws', {}, { onInit: (socket) => { client = new TestClient(socket) } })
  return client ?? new TestClient(ws)
}

/** Listens on an ephemeral loopback port and returns its /ws URL. */
export async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return `ws://127.0.0.1:${address.port}/ws`
}

/** A client over a real TCP socket. */
export async function connectReal (url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, options)
  const client = new TestClient(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return client
}

/** A client already logged in as `userId` (over injectWS). */
export async function loggedIn (app: FastifyInstance, userId: string | number, uuid?: string): Promise<TestClient> {
  const client = await connect(app)
  await client.login(app, userId, uuid)
  return client
}
