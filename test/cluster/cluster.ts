import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config.js'
import { mintToken } from '../../src/auth/mint-token.js'
import { seedDemoData } from '../../src/chat/demo.js'
import type { Database } from '../../src/db/client.js'
import { connectReal, openTestDatabase, TEST_CONFIG, type TestClient } from '../helpers.js'
import { startNode, uniquePrefix, type NodeProcess } from './nodes.js'
import { startPrivateRedis, type PrivateRedis } from './redis-server.js'

/**
 * Several nodes need a database server they can all reach, and Redis between them: the suites run when
 * DATABASE_URL and REDIS_URL are set (CI sets both), and say why they are skipped otherwise.
 */
export const clusterSkip: string | false =
  process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '' || process.env.REDIS_URL === undefined || process.env.REDIS_URL === ''
    ? 'several nodes share PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (an embedded PGlite belongs to one process)'
    : false

export interface Cluster {
  readonly nodes: NodeProcess[]
  readonly database: Database
  readonly databaseUrl: string
  readonly redisUrl: string
  readonly prefix: string
  /** The test's own redis-server, when it asked for one (to stop and start it). */
  readonly redis: PrivateRedis | undefined
  /** Starts one more node on the same database and Redis. */
  addNode: (name: string, env?: Record<string, string>) => Promise<NodeProcess>
}

export interface ClusterOptions {
  nodes: number
  /** 'private': a redis-server of the test's own (the test stops it); 'shared': the machine's, under a unique prefix. */
  redis?: 'shared' | 'private'
  env?: Record<string, string>
  /** Rows the file's tests need besides the demo data, written before the nodes start. */
  prepare?: (database: Database) => Promise<void>
}

/**
 * A database with the demo data, Redis, and `nodes` chat servers as child processes, started before the
 * file's first test and stopped after its last. Call at the top level of a test file.
 */
export function useCluster (options: ClusterOptions): Cluster {
  let opened: Awaited<ReturnType<typeof openTestDatabase>> | undefined
  let redis: PrivateRedis | undefined
  const nodes: NodeProcess[] = []
  const prefix = uniquePrefix()
  let redisUrl = ''
  const addNode = async (name: string, env: Record<string, string> = {}) => {
    const node = await startNode(name, { databaseUrl: opened!.url!, redisUrl, redisPrefix: prefix, env: { ...options.env, ...env } })
    nodes.push(node)
    return node
  }
  before(async () => {
    if (clusterSkip !== false) return
    opened = await openTestDatabase()
    await seedDemoData(opened.database.db)
    await options.prepare?.(opened.database)
    if (options.redis === 'private') redis = await startPrivateRedis()
    redisUrl = redis?.url ?? process.env.REDIS_URL!
    const names = Array.from({ length: options.nodes }, (_, index) => String.fromCharCode(97 + index))
    await Promise.all(names.map(async (name) => await addNode(name)))
    nodes.sort((x, y) => x.name.localeCompare(y.name))
  })
  after(async () => {
    await Promise.all(nodes.map((node) => node.kill()))
    await redis?.destroy()
    await opened?.drop()
  })
  return {
    nodes,
    get database () { return opened!.database },
    get databaseUrl () { return opened!.url! },
    get redisUrl () { return redisUrl },
    prefix,
    get redis () { return redis },
    addNode
  }
}

const tokenConfig = loadConfig({ JWT_SECRET: String(TEST_CONFIG.JWT_SECRET) })

/** A login token for `userId` that every node of the cluster accepts. */
export const clusterToken = (userId: number | string): string => mintToken(tokenConfig, userId, '1h')

/** A device of `userId` connected to `node` over a real socket and logged in. */
export async function deviceOn (node: NodeProcess, userId: number, uuid = `device-${userId}-${node.name}`): Promise<TestClient> {
  const client = await connectReal(node.url)
  const answer = await client.request({ command: 'user_login', userId, token: clusterToken(userId), uuid }, 10_000)
  assert.equal(answer.result, 'success', `login of ${userId} on node ${node.name}: ${JSON.stringify(answer)}`)
  return client
}
