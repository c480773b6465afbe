import type { FastifyBaseLogger } from 'fastify'
import { RedisBroker } from '../broker/redis.js'
import { RedisPresence } from '../presence/redis.js'
import { openRedis } from './connection.js'

export interface RedisSettings {
  REDIS_URL: string
  REDIS_PREFIX: string
  PRESENCE_LEASE_MS: number
}

/**
 * The Redis engines of one node: a connection that publishes and keeps presence, and one that only
 * listens (a subscribed connection can run no other command). Both connect in the background and
 * reconnect by themselves; until then the broker reports itself unhealthy (readiness).
 */
export function redisEngines (config: RedisSettings, options: { nodeId: string, log: FastifyBaseLogger }): { broker: RedisBroker, presence: RedisPresence } {
  const { nodeId, log } = options
  const commands = openRedis(config.REDIS_URL, 'commands', log, { lazyConnect: false })
  const subscriber = openRedis(config.REDIS_URL, 'subscriber', log, { lazyConnect: false, autoResubscribe: false })
  const broker = new RedisBroker(commands, subscriber, { nodeId, prefix: config.REDIS_PREFIX, log })
  const presence = new RedisPresence(commands, { nodeId, prefix: config.REDIS_PREFIX, leaseMs: config.PRESENCE_LEASE_MS, log })
  return { broker, presence }
}
