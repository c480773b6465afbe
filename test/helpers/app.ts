import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { and, eq } from 'drizzle-orm'
import { buildApp, type BuildOptions } from '../../src/app.js'
import type { Database } from '../../src/db/client.js'
import { chatRooms } from '../../src/db/schema.js'
import { seedDemoData } from '../../src/chat/demo.js'
import type { ConfigInput } from '../../src/config.js'
import { truncateAll } from './database.js'

/** Settings every test app gets; a test overrides what it is about. */
export const TEST_CONFIG: ConfigInput = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'test-secret-of-sufficient-length-0123456789',
  DATABASE_URL: '',
  // One node, no Redis, unless a test joins nodes: REDIS_URL in the environment is for those.
  REDIS_URL: '',
  HEARTBEAT_INTERVAL_MS: 30_000,
  CLOSE_GRACE_MS: 20
}

/**
 * Builds the real app on the shared database with the demo data freshly written (every table emptied
 * first), and closes it when the test ends.
 */
export async function build (t: TestContext, database: Database, config: ConfigInput = {}, options: Pick<BuildOptions, 'logger'> = {}): Promise<FastifyInstance> {
  await truncateAll(database.db)
  await seedDemoData(database.db)
  // Production serves /metrics on a port of its own (9464 by default): a test app takes a free one, so that
  // two suites running side by side never compete for it.
  const metricsPort = config.NODE_ENV === 'production' && !('METRICS_PORT' in config) && !('METRICS_TOKEN' in config) ? { METRICS_PORT: 0 } : {}
  const app = await buildApp({ config: { ...TEST_CONFIG, ...metricsPort, ...config }, database, ...options })
  t.after(() => app.close())
  await app.ready()
  return app
}

/** Listens on an ephemeral loopback port and returns its /ws URL. */
export async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return `ws://127.0.0.1:${address.port}/ws`
}

/** Ids of the rooms stored for (listing 123, `buyerId`): what the database holds, not what a client was told. */
export async function listingRooms (app: FastifyInstance, buyerId: string, listingId = '123'): Promise<string[]> {
  const rows = await app.db.select({ id: chatRooms.id }).from(chatRooms)
    .where(and(eq(chatRooms.listingId, listingId), eq(chatRooms.buyerId, buyerId)))
  return rows.map((row) => row.id)
}
