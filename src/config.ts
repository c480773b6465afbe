import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** Development-only signing secret; production refuses to start without a real one. */
export const DEV_JWT_SECRET = 'bdsthat-development-secret-do-not-use-in-production'

const Int = (defaultValue: number, minimum = 0) => Type.Integer({ minimum, default: defaultValue })
const Bool = (defaultValue: boolean) => Type.Boolean({ default: defaultValue })
const Optional = Type.Optional(Type.String({ minLength: 1 }))

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Int(3000),
  HOST: Type.String({ default: '0.0.0.0' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' }
  ),
  DATABASE_URL: Optional,
  PGLITE_DIR: Type.String({ minLength: 1, default: './data/pglite' }),
  DB_POOL_MAX: Int(10, 1),
  REDIS_URL: Optional,
  // Keys and channels of this deployment start with it: several deployments (or test runs) can share a Redis.
  REDIS_PREFIX: Type.String({ minLength: 1, default: 'chat:' }),
  // A node's users stay online this long after its last renewal when it dies without saying goodbye.
  PRESENCE_LEASE_MS: Int(30_000, 300),
  JWT_SECRET: Optional,
  JWT_PUBLIC_KEY: Optional,
  JWT_ALGORITHMS: Optional,
  JWT_ISSUER: Optional,
  JWT_AUDIENCE: Optional,
  JWT_CLOCK_TOLERANCE_S: Int(5),
  JWT_USER_CLAIM: Type.String({ minLength: 1, default: 'sub' }),
  AUTH_TIMEOUT_MS: Int(10_000, 1),
  HEARTBEAT_INTERVAL_MS: Int(30_000, 1),
  STATS_INTERVAL_MS: Int(60_000, 1),
  MAX_MESSAGE_CHARS: Int(4000, 1),
  MAX_PAYLOAD_BYTES: Int(65_536, 1024),
  MAX_BUFFERED_BYTES: Int(1_048_576, 1024),
  EDIT_WINDOW_MS: Int(15 * 60_000),
  CLOSE_GRACE_MS: Int(2000),
  // Abuse limits (docs/security.md): generous enough that a busy human never meets them.
  ALLOWED_ORIGINS: Optional,
  ALLOW_MISSING_ORIGIN: Bool(true),
  RATE_LIMIT_PER_S: Type.Number({ exclusiveMinimum: 0, default: 20 }),
  RATE_LIMIT_BURST: Int(100, 1),
  MAX_CONNECTIONS_PER_IP: Int(200, 1),
  MAX_DEVICES_PER_USER: Int(10, 1),
  MAX_FRAGMENTS: Int(64, 1),
  // How often the status of the connected users is read again: a banned or deactivated user's devices are
  // closed (4004) within this time. One query for all of them (docs/security.md has its cost).
  ACCOUNT_CHECK_INTERVAL_MS: Int(15_000, 1),
  // How long a message store waits for a free connection of the pool before "Server is busy, try again".
  DB_POOL_WAIT_MS: Int(5000, 1),
  PRESENCE_MAX_ROOM_MEMBERS: Int(100, 2),
  DEMO_SEED: Bool(true),
  // Behind a load balancer that sets X-Forwarded-For, the client's address is read from it (per-address limits).
  TRUST_PROXY: Bool(false),
  // Push notifications (docs/push.md): off unless a provider is configured.
  VAPID_PUBLIC_KEY: Optional,
  VAPID_PRIVATE_KEY: Optional,
  VAPID_SUBJECT: Optional,
  FCM_SERVICE_ACCOUNT_JSON: Optional,
  FCM_ENDPOINT: Type.String({ minLength: 1, default: 'https://fcm.googleapis.com' }),
  FCM_TOKEN_URL: Optional,
  PUSH_WORKER: Bool(true),
  PUSH_DELAY_MS: Int(60_000),
  PUSH_TTL_S: Int(3600, 1),
  PUSH_MAX_ATTEMPTS: Int(5, 1),
  PUSH_RETRY_BASE_MS: Int(1000, 1),
  PUSH_LEASE_MS: Int(30_000, 100),
  PUSH_POLL_MS: Int(1000, 10),
  PUSH_SEND_TIMEOUT_MS: Int(10_000, 10),
  PUSH_CLEAR_THROTTLE_MS: Int(5000),
  PUSH_BREAKER_THRESHOLD: Int(5, 1),
  PUSH_BREAKER_COOLDOWN_MS: Int(30_000, 1)
})
export type Config = Static<typeof ConfigSchema>

/** Old names still read, each with the name that replaced it; a value under the new name wins. */
export const RENAMED_SETTINGS = {
  DB_QUERY_TIMEOUT_MS: 'DB_POOL_WAIT_MS'
} as const satisfies Record<string, keyof Config>
type RenamedSetting = keyof typeof RENAMED_SETTINGS

/** What callers (tests, server.ts) may pass: environment-style strings or already-typed values. */
export type ConfigInput = Partial<Record<keyof Config | RenamedSetting, string | number | boolean | undefined>>

const isBlank = (value: unknown) => value === undefined || value === ''

/**
 * Reads settings from `source` (the environment by default) into a typed, validated object.
 * Throws an error naming the offending variable, so a bad deployment fails at boot.
 */
export function loadConfig (source: ConfigInput | NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = (source as Record<string, unknown>)[key]
    if (!isBlank(value)) raw[key] = value
  }
  for (const [old, current] of Object.entries(RENAMED_SETTINGS)) {
    const value = (source as Record<string, unknown>)[old]
    if (!isBlank(value) && raw[current] === undefined) raw[current] = value
  }
  // Value.Convert reads "12.5" as 12 and "1e4" as 1: a whole number must be written as one.
  for (const [key, value] of Object.entries(raw)) {
    const { type } = ConfigSchema.properties[key as keyof Config] as { type?: string }
    if (type === 'integer' && typeof value === 'string' && !/^\s*-?[0-9]+\s*$/.test(value)) {
      throw new Error(`Invalid configuration: ${key} Expected integer (got ${JSON.stringify(value)})`)
    }
  }
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw))
  const firstError = Value.Errors(ConfigSchema, candidate).First()
  if (firstError !== undefined) {
    const name = firstError.path.replace(/^\//, '')
    throw new Error(`Invalid configuration: ${name} ${firstError.message} (got ${JSON.stringify(raw[name])})`)
  }
  const config = candidate as Config
  const production = config.NODE_ENV === 'production'
  if (production && config.JWT_SECRET === undefined && config.JWT_PUBLIC_KEY === undefined) {
    throw new Error('Invalid configuration: JWT_SECRET or JWT_PUBLIC_KEY is required when NODE_ENV=production')
  }
  if (production && config.JWT_SECRET === DEV_JWT_SECRET) {
    throw new Error('Invalid configuration: JWT_SECRET must not be the development secret in production')
  }
  if (production) config.DEMO_SEED = false
  checkPushConfig(config)
  return config
}

/** Web Push needs its three settings together, and a subject push services can reach the sender by. */
function checkPushConfig (config: Config): void {
  const vapid = [config.VAPID_PUBLIC_KEY, config.VAPID_PRIVATE_KEY, config.VAPID_SUBJECT]
  if (vapid.some((value) => value !== undefined) && vapid.some((value) => value === undefined)) {
    throw new Error('Invalid configuration: VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT go together')
  }
  if (config.VAPID_SUBJECT !== undefined && !/^(mailto:[^@\s]+@[^@\s]+|https:\/\/[^\s]+)$/.test(config.VAPID_SUBJECT)) {
    throw new Error(`Invalid configuration: VAPID_SUBJECT must be a mailto: or https: URL (got ${JSON.stringify(config.VAPID_SUBJECT)})`)
  }
  if (config.PUSH_LEASE_MS <= config.PUSH_SEND_TIMEOUT_MS) {
    throw new Error('Invalid configuration: PUSH_LEASE_MS must be longer than PUSH_SEND_TIMEOUT_MS (a worker holds a row while it sends)')
  }
}

/** The old names `source` still uses, to be warned about once the logger exists. */
export function renamedSettingsIn (source: ConfigInput | NodeJS.ProcessEnv): Array<{ setting: RenamedSetting, replacement: keyof Config }> {
  return Object.entries(RENAMED_SETTINGS)
    .filter(([old]) => !isBlank((source as Record<string, unknown>)[old]))
    .map(([old, current]) => ({ setting: old as RenamedSetting, replacement: current }))
}

/** The exact origins a browser may open /ws from; undefined when any origin is accepted. */
export function allowedOrigins (config: Config): Set<string> | undefined {
  if (config.ALLOWED_ORIGINS === undefined) return undefined
  return new Set(config.ALLOWED_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean))
}
