import type { TestContext } from 'node:test'
import { generateKeyPairSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { sql } from 'drizzle-orm'
import type { ConfigInput } from '../../src/config.js'
import type { Database } from '../../src/db/client.js'
import { build, listen, loggedInReal, type TestClient } from '../helpers.js'
import { BrowserSubscription, FakePushService, vapidKeys } from './push-service.js'

/** A service account with a real RSA key, as the Firebase console hands it out. */
export function serviceAccount () {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const account = {
    type: 'service_account',
    project_id: 'bdsthat-test',
    private_key_id: 'key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'push@bdsthat-test.iam.gserviceaccount.com'
  }
  return { account, publicKey }
}

export const VAPID_SUBJECT = 'mailto:push@bdsthat.example'

/** Settings for a test app that pushes to a local push service quickly. */
export function pushConfig (keys: { publicKey: string, privateKey: string }, extra: ConfigInput = {}): ConfigInput {
  return {
    VAPID_PUBLIC_KEY: keys.publicKey,
    VAPID_PRIVATE_KEY: keys.privateKey,
    VAPID_SUBJECT,
    PUSH_DELAY_MS: 60_000,
    PUSH_POLL_MS: 50,
    PUSH_RETRY_BASE_MS: 50,
    PUSH_SEND_TIMEOUT_MS: 2000,
    PUSH_LEASE_MS: 5000,
    PUSH_CLEAR_THROTTLE_MS: 0,
    ...extra
  }
}

export interface PushWorld {
  app: FastifyInstance
  /** A device of `userId` over a real socket (closing it is seen by the server at once). */
  device: (userId: number, uuid: string) => Promise<TestClient>
  service: FakePushService
  keys: { publicKey: string, privateKey: string }
}

/** A push service on 127.0.0.1 and the app pushing to it, both closed when the test ends. */
export async function pushWorld (t: TestContext, database: Database, extra: ConfigInput = {}): Promise<PushWorld> {
  const service = await new FakePushService().start()
  t.after(() => service.close())
  const keys = vapidKeys()
  const app = await build(t, database, pushConfig(keys, extra))
  const url = await listen(app)
  return { app, service, keys, device: (userId, uuid) => loggedInReal(app, url, userId, uuid) }
}

/** Registers a browser subscription for `userId` on device `uuid` over the socket, then leaves the socket open. */
export async function subscribe (world: PushWorld, userId: number, uuid: string, locale?: string): Promise<{ client: TestClient, browser: BrowserSubscription }> {
  const browser = new BrowserSubscription(`${world.service.origin}/push/${userId}/${uuid}`)
  const client = await world.device(userId, uuid)
  const answer = await client.request({ command: 'push_register', provider: 'webpush', subscription: browser.toJSON(), ...(locale !== undefined && { locale }) })
  if (answer.result !== 'success') throw new Error(`push_register failed: ${JSON.stringify(answer)}`)
  return { client, browser }
}

/** Closes a client and waits until the server has let go of its session (the user is then away). */
export async function leave (app: FastifyInstance, client: TestClient, userId: number): Promise<void> {
  client.close()
  await client.closedWithin()
  await until(async () => !app.sessions.isOnline(String(userId)))
}

/** Polls `check` until it holds (a state the server reaches), failing after `timeoutMs`. */
export async function until (check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The outbox rows of a message, by recipient. */
export async function outboxOf (app: FastifyInstance, messageId: string): Promise<Array<{ userId: string, state: string, attempts: number }>> {
  const result = await app.db.execute(sql`SELECT user_id::text AS "userId", state::text AS state, attempts FROM push_outbox
    WHERE message_id = ${messageId}::bigint AND kind = 'message' ORDER BY user_id`)
  const rows = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as Array<{ userId: string, state: string, attempts: number }>
  return rows.map((row) => ({ userId: row.userId, state: row.state, attempts: Number(row.attempts) }))
}

/** Waits until every outbox row of the message is finished, and returns them. */
export async function settled (app: FastifyInstance, messageId: string, timeoutMs = 20_000) {
  await until(async () => (await outboxOf(app, messageId)).every((row) => row.state !== 'pending'), timeoutMs)
  return outboxOf(app, messageId)
}

export async function registrationCount (app: FastifyInstance, userId: number): Promise<number> {
  const result = await app.db.execute(sql`SELECT count(*)::int AS n FROM push_registrations WHERE user_id = ${userId}::bigint`)
  const rows = Array.isArray(result) ? result : (result as unknown as { rows: Array<{ n: number }> }).rows
  return Number((rows[0] as { n: number }).n)
}
