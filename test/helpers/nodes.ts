import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../../src/app.js'
import { MemoryBus } from '../../src/broker/memory-bus.js'
import { seedDemoData } from '../../src/chat/demo.js'
import type { Database } from '../../src/db/client.js'
import type { ConfigInput } from '../../src/config.js'
import { TEST_CONFIG } from './app.js'
import { truncateAll } from './database.js'

/**
 * How several app instances of one test process reach each other: the engine under test. The scenario
 * suites take one, so the same scenarios run over the in-memory bus and over a networked engine.
 */
export interface NodeEngine {
  name: string
  /** What every node of one cluster is built with (a shared bus, or a broker's URL). */
  cluster: () => Promise<{ config?: ConfigInput, options?: Pick<BuildOptions, 'bus'>, close?: () => Promise<void> }>
}

/** The in-memory bus (src/broker/memory-bus.ts); `bus` is the last cluster's, for tests that inject faults. */
export function memoryEngine (): NodeEngine & { bus: MemoryBus | undefined } {
  const engine: NodeEngine & { bus: MemoryBus | undefined } = {
    name: 'memory bus',
    bus: undefined,
    cluster: async () => {
      engine.bus = new MemoryBus()
      return { options: { bus: engine.bus } }
    }
  }
  return engine
}

/**
 * `count` app instances (nodes) sharing `database` and one cluster of `engine`, on the demo data freshly
 * written; each is closed when the test ends.
 */
export async function startNodes (t: TestContext, database: Database, engine: NodeEngine, count = 2, config: ConfigInput = {}): Promise<FastifyInstance[]> {
  await truncateAll(database.db)
  await seedDemoData(database.db)
  const cluster = await engine.cluster()
  if (cluster.close !== undefined) t.after(cluster.close)
  const nodes: FastifyInstance[] = []
  for (let index = 0; index < count; index++) {
    const app = await buildApp({ config: { ...TEST_CONFIG, ...cluster.config, ...config }, database, ...cluster.options })
    t.after(() => app.close())
    await app.ready()
    nodes.push(app)
  }
  return nodes
}

/**
 * Redis (REDIS_URL), each cluster under a prefix of its own: the engine several nodes run in production.
 * Undefined when REDIS_URL is unset.
 */
export function redisEngine (): NodeEngine | undefined {
  const url = process.env.REDIS_URL
  if (url === undefined || url === '') return undefined
  return {
    name: 'Redis',
    cluster: async () => ({ config: { REDIS_URL: url, REDIS_PREFIX: `chat-test-${randomBytes(5).toString('hex')}:` } })
  }
}
