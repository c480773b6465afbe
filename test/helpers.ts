import { after, before, type TestContext } from 'node:test'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import postgres from 'postgres'
import { createSigner } from 'fast-jwt'
import { buildApp } from '../src/app.js'
import { and, eq, sql } from 'drizzle-orm'
import { openDatabase, type Database, type Db } from '../src/db/client.js'
import { chatRooms } from '../src/db/schema.js'
import { seedDemoData } from '../src/chat/demo.js'
import { mintToken } from '../src/auth/mint-token.js'
import type { ConfigInput } from '../src/config.js'

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

/** Empties every table and restarts the id sequences (tests share one database per file). */
export async function truncateAll (db: Db): Promise<void> {
  await db.execute(sql`TRUNCATE messages, members, chat_rooms, listings, users RESTART IDENTITY CASCADE`)
  await db.execute(sql`ALTER SEQUENCE message_change_seq RESTART`)
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

// Frames are whatever JSON the server sent; tests reach into them freely and assert on the values.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>

let presenceRecorded = false
/**
 * Presence events follow every login of a room member; only the suites about presence want to see them.
 * Call at the top of such a file: every client of the file then keeps them like any other frame.
 */
export const recordPresence = (): void => { presenceRecorded = true }

/** A WebSocket client that keeps every frame it receives, for tests to take in order. */
export class TestClient {
  readonly ws: WebSocket
  private readonly frames: Frame[] = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number, reason: string }>

  constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data, isBinary) => {
      const frame: Frame = isBinary ? { binary: data } : JSON.parse(data.toString())
      if (frame.command === 'presence' && !presenceRecorded) return
      this.frames.push(frame)
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

  /**
   * Waits for the socket to close, at most `timeoutMs`. Unlike awaiting `closed`, this keeps the process
   * alive meanwhile: the server's own timers are unref'd, and an injected socket holds no handle.
   */
  async closedWithin (timeoutMs = 3000): Promise<{ code: number, reason: string }> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      return await Promise.race([this.closed, timeout])
    } finally {
      clearTimeout(timer)
    }
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

/** A frame that is not a presence event (which logins in a test set off on the side). */
export const notPresence = (frame: Frame): boolean => frame.command !== 'presence'

/** The frames that are not presence events. */
export const withoutPresence = (frames: Frame[]): Frame[] => frames.filter(notPresence)

/** A client over `injectWS` (no real port). */
export async function connect (app: FastifyInstance): Promise<TestClient> {
  let client: TestClient | undefined
  // Listening from onInit on: nothing the server sends right after the upgrade is missed.
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

/** A client over a real TCP socket, already logged in as `userId` on device `uuid`. */
export async function loggedInReal (app: FastifyInstance, url: string, userId: string | number, uuid: string): Promise<TestClient> {
  const client = await connectReal(url)
  await client.login(app, userId, uuid)
  return client
}

/** A client already logged in as `userId` (over injectWS). */
export async function loggedIn (app: FastifyInstance, userId: string | number, uuid?: string): Promise<TestClient> {
  const client = await connect(app)
  await client.login(app, userId, uuid)
  return client
}

/** The failure answer a client expects: the contract's exact reason text and code. */
export const failure = (command: string | undefined, reason: string, code: string, extra: Frame = {}): Frame =>
  ({ ...(command !== undefined && { command }), result: 'failed', reason, code, ...extra })

/** Signs arbitrary claims (HS256 by default) with the test secret, for tokens the minting helper will not make. */
export function signToken (claims: Frame, options: { key?: string, expiresIn?: number } = {}): string {
  const sign = createSigner({
    key: options.key ?? String(TEST_CONFIG.JWT_SECRET),
    ...(options.expiresIn !== undefined && { expiresIn: options.expiresIn })
  })
  return sign(claims)
}

/** A hand-made token with `alg: none` and no signature. */
export function unsignedToken (claims: Frame): string {
  const part = (value: Frame) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`
}

/** A demo user (id 4 or 14) sending a TEXT message to the demo room. */
export const textMessage = (content: string, extra: Frame = {}): Frame =>
  ({ command: 'user_message', roomId: 1, content, messageType: 'TEXT', ...extra })
/** Ids of the rooms stored for (listing 123, `buyerId`): what the database holds, not what a client was told. */
export async function listingRooms (app: FastifyInstance, buyerId: string, listingId = '123'): Promise<string[]> {
  const rows = await app.db.select({ id: chatRooms.id }).from(chatRooms)
    .where(and(eq(chatRooms.listingId, listingId), eq(chatRooms.buyerId, buyerId)))
  return rows.map((row) => row.id)
}
