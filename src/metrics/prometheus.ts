import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Broker } from '../broker/types.js'
import type { Publisher } from '../broker/publisher.js'
import type { PoolWatch } from '../db/pool-watch.js'
import type { SessionRegistry } from '../sessions/registry.js'
import { ChatMetrics, type Counts, type PairCounts } from './counts.js'

/** What the exporter reads at scrape time, besides the tallies. */
export interface MetricSources {
  sessions: Pick<SessionRegistry, 'connections' | 'sessionCount' | 'userCount' | 'messagesIn' | 'framesOut' | 'framesDropped'>
  publisher: Pick<Publisher, 'published' | 'failures'>
  broker: Pick<Broker, 'healthy' | 'connectionStates'>
  database: { ping: () => Promise<void>, pool?: PoolWatch | undefined }
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const BATCH_SIZES = [1, 2, 5, 10, 20, 50, 100, 200, 500]
/** How long a scrape waits for the database's answer before reporting it down. */
const DATABASE_PROBE_MS = 1000

export interface Exporter {
  registry: Registry
  metrics: ChatMetrics
}

/**
 * The Prometheus registry of one node: the process's default metrics, counters and gauges that read
 * the tallies when scraped (the hot path never calls prom-client for them), and the histograms.
 */
export function createExporter (sources: MetricSources): Exporter {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const histogram = (name: string, help: string, buckets: number[]) => {
    const made = new Histogram({ name, help, buckets, registers })
    return { observe: (value: number) => { made.observe(value) } }
  }
  const metrics = new ChatMetrics(true, {
    storeBatchSize: histogram('chat_store_batch_size', 'Messages written per store transaction (group commit)', BATCH_SIZES),
    storeSeconds: histogram('chat_store_duration_seconds', 'Time one store batch took, from its submission to its rows', SECONDS),
    deliverySeconds: histogram('chat_delivery_latency_seconds', 'Time from a message\'s receipt by the server to its delivery to this node\'s sockets', SECONDS),
    poolWaitSeconds: histogram('chat_db_pool_wait_seconds', 'Time a statement waited for a connection of the PostgreSQL pool', SECONDS)
  })
  if (sources.database.pool !== undefined) sources.database.pool.onWait = metrics.histograms.poolWaitSeconds.observe

  const total = (name: string, help: string, read: () => number) => new Counter({
    name, help, registers,
    collect () { this.reset(); this.inc(read()) }
  })
  const byLabels = (name: string, help: string, [label]: [string], counts: Counts) => new Counter({
    name, help, labelNames: [label], registers,
    collect () {
      this.reset()
      for (const [key, value] of counts.entries()) this.inc({ [label]: key }, value)
    }
  })
  const byPairs = (name: string, help: string, [first, second]: [string, string], counts: PairCounts) => new Counter({
    name, help, labelNames: [first, second], registers,
    collect () {
      this.reset()
      for (const [one, two, value] of counts.entries()) this.inc({ [first]: one, [second]: two }, value)
    }
  })
  const gauge = (name: string, help: string, read: () => number | Promise<number>) => new Gauge({
    name, help, registers,
    async collect () { this.set(await read()) }
  })

  const { sessions, publisher, broker, database } = sources
  gauge('chat_connections', 'Open WebSocket connections', () => sessions.connections.size)
  gauge('chat_sessions', 'Logged-in sessions (devices)', () => sessions.sessionCount)
  gauge('chat_users', 'Distinct logged-in users', () => sessions.userCount)
  byLabels('chat_logins_total', 'user_login answers by result (success or the failure code)', ['result'], metrics.logins)
  byPairs('chat_commands_total', 'Command answers by command and result (success or the failure code)', ['command', 'result'], metrics.commands)
  total('chat_messages_received_total', 'user_message commands accepted for storing', () => sessions.messagesIn)
  total('chat_messages_stored_total', 'Messages stored (new rows)', () => metrics.messagesStored)
  byLabels('chat_store_failures_total', 'Messages whose store failed, by failure code', ['code'], metrics.storeFailures)
  total('chat_frames_delivered_total', 'Frames handed to sockets by the delivery path', () => sessions.framesOut)
  total('chat_frames_dropped_total', 'Frames not sent because the socket was closing or too slow to read', () => sessions.framesDropped)
  byLabels('chat_closes_total', 'Closed connections by close code', ['code'], metrics.closes)
  byLabels('chat_rate_limited_total', 'Frames over the rate limit, by what was done (refuse, drop, close)', ['action'], metrics.rateLimited)
  total('chat_broker_published_total', 'Events handed to the broker', () => publisher.published)
  total('chat_broker_publish_failures_total', 'Events the broker refused (delivered to this node only)', () => publisher.failures)
  byLabels('chat_broker_received_total', 'Events received from the broker, by event type', ['type'], metrics.brokerReceived)
  gauge('chat_broker_up', 'Whether the broker can publish right now (1) or not (0)', () => broker.healthy() ? 1 : 0)
  new Gauge({
    name: 'chat_redis_connection_up',
    help: 'Redis connections of the broker by role: 1 ready, 0 not (absent without Redis)',
    labelNames: ['role'],
    registers,
    collect () {
      this.reset()
      for (const [role, up] of Object.entries(broker.connectionStates?.() ?? {})) this.set({ role }, up ? 1 : 0)
    }
  })
  gauge('chat_database_up', 'Whether the database answered a trivial query within 1 s at this scrape', () => probe(database.ping()))
  const pool = database.pool
  if (pool !== undefined) {
    gauge('chat_db_pool_size', 'Connections the PostgreSQL pool may open (DB_POOL_MAX)', () => pool.size)
    gauge('chat_db_pool_in_use', 'Statements holding a connection of the pool', () => pool.inUse)
    gauge('chat_db_pool_waiting', 'Statements waiting for a connection of the pool', () => pool.waiting)
  }
  byPairs('chat_push_sends_total', 'Push sends by provider and result (sent, gone, retry, rejected, error)', ['provider', 'result'], metrics.pushSends)
  byLabels('chat_uploads_total', 'Uploads by result (success or the failure code: FILE_TOO_LARGE, UNSUPPORTED_TYPE, ...)', ['result'], metrics.uploads)
  total('chat_uploaded_bytes_total', 'Bytes of the attachments stored', () => metrics.uploadedBytes)
  return { registry, metrics }
}

/** 1 when `ping` resolves within the probe time, else 0. */
async function probe (ping: Promise<void>): Promise<number> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<number>((resolve) => { timer = setTimeout(() => resolve(0), DATABASE_PROBE_MS) })
  try {
    return await Promise.race([ping.then(() => 1, () => 0), timeout])
  } finally {
    clearTimeout(timer)
  }
}
