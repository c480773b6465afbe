import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import { TestClient } from './client.js'
import type { TokenIssuer } from './tokens.js'
import { presenceSettled } from './barrier.js'

/** A client over `injectWS` (no real port). */
export async function connect (app: FastifyInstance): Promise<TestClient> {
  let client: TestClient | undefined
  // Listening from onInit on: nothing the server sends right after the upgrade is missed.
  const ws = await app.injectWS('/ws', {}, { onInit: (socket) => { client = new TestClient(socket) } })
  return client ?? new TestClient(ws)
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

export interface LoginOptions {
  /** A /ws URL (from `listen`): a real TCP socket instead of `injectWS`. */
  url?: string
  /** Options of the real socket (e.g. `autoPong: false`). */
  socket?: WebSocket.ClientOptions
  timeoutMs?: number
}

/**
 * Connects and logs in as `userId` on device `uuid`: over `injectWS`, or over a real socket to `url`.
 * `issuer` signs the token: the app, or `{ config }` of a server running in another process.
 */
export async function loggedIn (issuer: FastifyInstance | TokenIssuer, userId: string | number, uuid?: string, options: LoginOptions = {}): Promise<TestClient> {
  const client = options.url !== undefined
    ? await connectReal(options.url, options.socket)
    : await connect(issuer as FastifyInstance)
  await client.login(issuer, userId, uuid, options.timeoutMs)
  return client
}

/** `loggedIn` over a real TCP socket. */
export const loggedInReal = (app: FastifyInstance, url: string, userId: string | number, uuid: string): Promise<TestClient> =>
  loggedIn(app, userId, uuid, { url })

/** A user id, or [user id, device uuid]. */
type Device = string | number | readonly [string | number, string]

/**
 * A test's setup of several clients on one app: each of `devices` (a user id, or [user id, device uuid])
 * logged in, in order, then `presenceSettled`: the presence events these logins set off among them are
 * delivered and discarded, so any presence event after the setup is one a test must take or a negative
 * check sees. `TestClient.login` alone does not wait for presence (it stays fast).
 */
export async function loggedInAll<const D extends ReadonlyArray<Device>> (app: FastifyInstance, devices: D, options: LoginOptions = {}): Promise<{ -readonly [K in keyof D]: TestClient }> {
  const clients: TestClient[] = []
  for (const device of devices) {
    const [userId, uuid] = Array.isArray(device) ? device : [device, undefined]
    clients.push(await loggedIn(app, userId, uuid, options))
  }
  await presenceSettled(app, clients)
  return clients as { -readonly [K in keyof D]: TestClient }
}
