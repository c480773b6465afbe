import { Redis, type RedisOptions } from 'ioredis'

export interface RedisLog {
  warn: (fields: Record<string, unknown>, message: string) => void
  info: (fields: Record<string, unknown>, message: string) => void
}

/** The longest pause between two reconnection attempts while Redis is away. */
const MAX_RECONNECT_DELAY_MS = 1000

/**
 * A connection to Redis that never queues commands while it is down: a publish or a presence write then
 * fails at once (and is handled where it is made) instead of piling up in memory and arriving late. It
 * reconnects by itself, forever, with a short capped backoff. `role` names it in the logs.
 */
export function openRedis (url: string, role: string, log: RedisLog, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // A Redis that stops answering without closing the connection fails commands instead of holding them.
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
    connectionName: `chat-${role}`,
    ...options
  })
  let down = false
  redis.on('error', (error: Error) => {
    if (!down) log.warn({ err: error, role }, 'redis connection failed')
    down = true
  })
  redis.on('ready', () => {
    if (down) log.info({ role }, 'redis connection back')
    down = false
  })
  return redis
}

/** Connects, and keeps trying until `limitMs` has passed: a node starts only once Redis answers. */
export async function connectRedis (redis: Redis, limitMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      new Promise<void>((resolve) => redis.once('ready', () => resolve())),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${limitMs} ms`)), limitMs)
      }),
      // A failed first attempt is followed by the retry strategy's attempts; only the deadline gives up.
      redis.connect().then(() => new Promise<never>(() => {}), () => new Promise<never>(() => {}))
    ])
  } finally {
    clearTimeout(timer)
  }
}
