import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Broker } from './broker/types.js'
import { LocalBroker } from './broker/local.js'
import type { MemoryBus } from './broker/memory-bus.js'
import type { PresenceSource } from './presence/types.js'
import { LocalPresence } from './presence/local.js'
import { MemoryPresence } from './presence/memory.js'
import { redisEngines, type RedisSettings } from './redis/engines.js'
import type { SessionRegistry } from './sessions/registry.js'

/** The engines a node runs on: how events reach the other nodes, and who is online anywhere. */
export interface Engines {
  broker: Broker
  presence: PresenceSource
}

export interface EngineOptions {
  sessions: SessionRegistry
  log: FastifyBaseLogger
  /** Several app instances of one process sharing this bus (tests): the memory engines. */
  bus?: MemoryBus
}

export type EngineSettings = Omit<RedisSettings, 'REDIS_URL'> & { REDIS_URL?: string | undefined }

/**
 * The one place that chooses the engines (as Centrifugo's engine selection): a memory bus when one is
 * given (tests), Redis when REDIS_URL is set (several nodes), otherwise the local engines of a node that
 * runs alone, with no Redis at all. Nothing else knows which engine runs.
 */
export function chooseEngines (config: EngineSettings, options: EngineOptions): Engines {
  // Connection ids start with the node id: unique across the nodes of one broker.
  const nodeId = randomBytes(4).toString('hex')
  const { sessions, log, bus } = options
  if (bus !== undefined) {
    return { broker: bus.node({ nodeId, log }), presence: new MemoryPresence({ bus, nodeId }) }
  }
  if (config.REDIS_URL !== undefined && config.REDIS_URL !== '') {
    return redisEngines({ ...config, REDIS_URL: config.REDIS_URL }, { nodeId, log })
  }
  return { broker: new LocalBroker({ nodeId, log }), presence: new LocalPresence({ sessions, nodeId }) }
}
