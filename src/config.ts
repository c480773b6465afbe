import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * A problem the operator fixes outside the code (a setting, a busy port, a directory in use): start-up
 * reports its message alone, which names what to change, without a stack trace.
 */
export class StartupError extends Error {
  override name = 'StartupError'
}

/** Development-only signing secret; production refuses to start without a real one. */
export const DEV_JWT_SECRET = 'bdsthat-development-secret-do-not-use-in-production'

// Each kind of setting says in its schema what a valid value looks like (`errorMessage`), and a refusal
// quotes it: "must be one of …" rather than the validator's "Expected union value".
const Int = (defaultValue: number, minimum = 0) =>
  Type.Integer({ minimum, default: defaultValue, errorMessage: `must be a whole number of at least ${minimum}` })
const Bool = (defaultValue: boolean) => Type.Boolean({ default: defaultValue, errorMessage: 'must be true or false' })
const Optional = Type.Optional(Type.String({ minLength: 1 }))
const OneOf = (values: string[], defaultValue: string) =>
  Type.Union(values.map((value) => Type.Literal(value)), { default: defaultValue, errorMessage: `must be one of ${values.join(', ')}` })

const MiB = 1024 * 1024
/** A duration setting: a number of seconds, or a number with s, m, h or d. */
const DURATION = /^[0-9]+(s|m|h|d)?$/
const DURATION_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Milliseconds of a duration setting (already checked against DURATION). */
export function durationMs (text: string): number {
  const match = DURATION.exec(text.trim())
  if (match === null) throw new StartupError(`not a duration: ${JSON.stringify(text)}`)
  return Number.parseInt(text, 10) * DURATION_UNIT_MS[match[1] ?? 's']!
}

/** Where the server listens when HOST is unset: every interface in production, this machine only otherwise. */
const DEV_HOST = '127.0.0.1'
const PRODUCTION_HOST = '0.0.0.0'

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3000, errorMessage: 'must be a port number from 0 to 65535' }),
  // The default depends on NODE_ENV (DEV_HOST, PRODUCTION_HOST).
  HOST: Optional,
  LOG_LEVEL: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  DATABASE_URL: Optional,
  // Production on the embedded database: one process, one node, no replica (README "Production").
  EMBEDDED_DB_IN_PRODUCTION: Bool(false),
  PGLITE_DIR: Type.String({ minLength: 1, default: './data/pglite' }),
  DB_POOL_MAX: Int(10, 1),
  REDIS_URL: Optional,
  // Keys and channels of this deployment start with it: several deployments (or test runs) can share a Redis.
  REDIS_PREFIX: Type.String({ minLength: 1, default: 'chat:' }),
  // A node's users stay online this long after its last renewal when it dies without saying goodbye.
  PRESENCE_LEASE_MS: Int(30_000, 300),
  // Several nodes: how often each node compares the rooms that went quiet with the database and hands out
  // what pub/sub lost (src/delivery/position-check.ts).
  POSITION_CHECK_MS: Int(10_000, 100),
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
  // Prometheus metrics (docs/operations.md). `off` counts only what the statistics line needs.
  METRICS: OneOf(['on', 'off'], 'on'),
  // Scrapers send `Authorization: Bearer <METRICS_TOKEN>`; without it, production serves /metrics only
  // on METRICS_HOST:METRICS_PORT (loopback by default), never on the public port.
  METRICS_TOKEN: Optional,
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535, errorMessage: 'must be a port number from 0 to 65535' })),
  METRICS_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
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
  // How long a node holds a room's message whose predecessor has not arrived before it reads the missing
  // ones from the database (docs/protocol.md, "Delivery order").
  DELIVERY_GAP_WAIT_MS: Int(200, 1),
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
  PUSH_BREAKER_COOLDOWN_MS: Int(30_000, 1),
  // Attachments (docs/uploads.md). Limits by kind, in bytes; a reverse proxy must allow the largest.
  UPLOAD_DIR: Type.String({ minLength: 1, default: './data/uploads' }),
  UPLOAD_MAX_IMAGE_BYTES: Int(10 * MiB, 1),
  UPLOAD_MAX_VIDEO_BYTES: Int(100 * MiB, 1),
  UPLOAD_MAX_FILE_BYTES: Int(25 * MiB, 1),
  // Uploads never sent in a message are deleted after this long: 90s, 30m, 24h, 7d, or seconds.
  UPLOAD_ORPHAN_TTL: Type.String({ pattern: DURATION.source, default: '24h', errorMessage: 'must be a duration such as 90s, 30m, 24h or 7d (or a number of seconds)' }),
  UPLOAD_GC_INTERVAL_MS: Int(15 * 60_000, 10),
  // Signed /media/ links in frames: how long they work, and the HMAC key (shared by every node).
  MEDIA_URL_TTL_S: Int(600, 1),
  MEDIA_URL_SECRET: Optional,
  // Free `media` URLs of messages: only from these origins when set (comma-separated).
  MEDIA_ALLOWED_ORIGINS: Optional,
  // S3-compatible object storage instead of UPLOAD_DIR when S3_BUCKET is set.
  S3_BUCKET: Optional,
  S3_ENDPOINT: Optional,
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  S3_ACCESS_KEY_ID: Optional,
  S3_SECRET_ACCESS_KEY: Optional,
  // Path-style addressing (endpoint/bucket/key), which most self-hosted S3-compatible servers need.
  S3_FORCE_PATH_STYLE: Bool(false),
  S3_KEY_PREFIX: Type.String({ default: '' }),
  // Lifetime of a presigned direct-to-bucket upload form.
  S3_UPLOAD_TTL_S: Int(900, 1)
})
export type Config = Static<typeof ConfigSchema> & { HOST: string }

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
  const refuse = (name: string, problem: string) => new StartupError(`Invalid configuration: ${name} ${problem}`)
  // Value.Convert reads "12.5" as 12 and "1e4" as 1: a whole number must be written as one.
  for (const [key, value] of Object.entries(raw)) {
    const schema = ConfigSchema.properties[key as keyof typeof ConfigSchema.properties] as { type?: string, errorMessage?: string }
    if (schema.type === 'integer' && typeof value === 'string' && !/^\s*-?[0-9]+\s*$/.test(value)) {
      throw refuse(key, `${schema.errorMessage} (got ${JSON.stringify(value)})`)
    }
  }
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw))
  const firstError = Value.Errors(ConfigSchema, candidate).First()
  if (firstError !== undefined) {
    const name = firstError.path.replace(/^\//, '')
    const described = (firstError.schema as { errorMessage?: string }).errorMessage ?? firstError.message
    throw refuse(name, `${described} (got ${JSON.stringify((source as Record<string, unknown>)[name] ?? raw[name])})`)
  }
  const production = (candidate as Config).NODE_ENV === 'production'
  const config = { ...candidate as Config, HOST: (candidate as Config).HOST ?? (production ? PRODUCTION_HOST : DEV_HOST) }
  const [problem] = problemsOf(config)
  if (problem !== undefined) throw refuse(problem.name, problem.text)
  if (production) config.DEMO_SEED = false
  checkPushConfig(config)
  return config
}

/**
 * RFC 7518 §3.2: an HMAC key must be at least as long as the hash output, 32 bytes for HS256 (48 for
 * HS384, 64 for HS512).
 */
export function minimumSecretBytes (config: Pick<Config, 'JWT_ALGORITHMS'>): number {
  const bits = (config.JWT_ALGORITHMS ?? 'HS256').split(',').map((name) => /^HS(256|384|512)$/.exec(name.trim())?.[1]).filter(Boolean).map(Number)
  return Math.max(256, ...bits) / 8
}

/** Settings that are each valid but unsafe or unusable together, as (variable, problem and fix). */
function problemsOf (config: Config): Array<{ name: string, text: string }> {
  const problems: Array<{ name: string, text: string }> = []
  const production = config.NODE_ENV === 'production'
  const secretBytes = config.JWT_SECRET === undefined ? undefined : Buffer.byteLength(config.JWT_SECRET)
  if (production && config.JWT_SECRET === undefined && config.JWT_PUBLIC_KEY === undefined) {
    problems.push({ name: 'JWT_SECRET', text: 'or JWT_PUBLIC_KEY is required when NODE_ENV=production: set JWT_SECRET to the HMAC secret your identity service signs with, or JWT_PUBLIC_KEY to its public key' })
  }
  if (production && config.JWT_SECRET === DEV_JWT_SECRET) {
    problems.push({ name: 'JWT_SECRET', text: 'must not be the development secret in production: it is published with the source code' })
  }
  if (production && secretBytes !== undefined && secretBytes < minimumSecretBytes(config)) {
    problems.push({ name: 'JWT_SECRET', text: `is ${secretBytes} bytes; production needs at least ${minimumSecretBytes(config)} (RFC 7518 §3.2): generate one with \`openssl rand -hex 32\`` })
  }
  if (production && config.DATABASE_URL === undefined && !config.EMBEDDED_DB_IN_PRODUCTION) {
    problems.push({ name: 'DATABASE_URL', text: 'is required when NODE_ENV=production: set it to the PostgreSQL connection string (postgres://user:password@host:5432/database). To run production on the embedded database of this one process (a single node, no replica), set EMBEDDED_DB_IN_PRODUCTION=true' })
  }
  if (!production && config.JWT_SECRET === undefined && config.JWT_PUBLIC_KEY === undefined && !isLoopback(config.HOST)) {
    problems.push({ name: 'HOST', text: `${config.HOST} makes the server reachable from the network, and without JWT_SECRET it accepts tokens signed with the development secret published with the source code: anyone who reaches it could log in as any user. Set JWT_SECRET (at least 32 bytes), or leave HOST unset (${DEV_HOST})` })
  }
  if (config.DATABASE_URL !== undefined) {
    const problem = databaseUrlProblem(config.DATABASE_URL)
    if (problem !== undefined) problems.push({ name: 'DATABASE_URL', text: problem })
  }
  for (const name of ['ALLOWED_ORIGINS', 'MEDIA_ALLOWED_ORIGINS'] as const) {
    for (const entry of originList(config[name]) ?? []) {
      const problem = originProblem(entry)
      if (problem !== undefined) problems.push({ name, text: problem })
    }
  }
  if (config.S3_BUCKET === undefined && config.S3_ENDPOINT !== undefined) {
    problems.push({ name: 'S3_BUCKET', text: 'is required with S3_ENDPOINT: name the bucket attachments are kept in' })
  }
  if ((config.S3_ACCESS_KEY_ID === undefined) !== (config.S3_SECRET_ACCESS_KEY === undefined)) {
    problems.push({ name: 'S3_ACCESS_KEY_ID', text: 'and S3_SECRET_ACCESS_KEY go together (or leave both unset to use the AWS default credential chain)' })
  }
  return problems
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.[0-9.]+$/.test(host)

function databaseUrlProblem (text: string): string | undefined {
  if (!URL.canParse(text)) return 'is not a URL: write it as postgres://user:password@host:5432/database'
  const url = new URL(text)
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    return `must be a PostgreSQL URL (postgres:// or postgresql://), not ${url.protocol}//: this server stores its data in PostgreSQL only`
  }
  return undefined
}

/** A browser's Origin header is scheme://host[:port], nothing more: any other entry can never match. */
function originProblem (entry: string): string | undefined {
  const url = URL.canParse(entry) ? new URL(entry) : undefined
  const origin = url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : undefined
  if (origin === entry) return undefined
  return `entry ${JSON.stringify(entry)} can never match a browser's Origin header, which is scheme://host[:port] with no path or trailing slash` +
    (origin === undefined ? '' : `: write ${JSON.stringify(origin)}`)
}

/** Web Push needs its three settings together, and a subject push services can reach the sender by. */
function checkPushConfig (config: Config): void {
  const vapid = [config.VAPID_PUBLIC_KEY, config.VAPID_PRIVATE_KEY, config.VAPID_SUBJECT]
  if (vapid.some((value) => value !== undefined) && vapid.some((value) => value === undefined)) {
    throw new StartupError('Invalid configuration: VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT go together')
  }
  if (config.VAPID_SUBJECT !== undefined && !/^(mailto:[^@\s]+@[^@\s]+|https:\/\/[^\s]+)$/.test(config.VAPID_SUBJECT)) {
    throw new StartupError(`Invalid configuration: VAPID_SUBJECT must be a mailto: or https: URL (got ${JSON.stringify(config.VAPID_SUBJECT)})`)
  }
  if (config.PUSH_LEASE_MS <= config.PUSH_SEND_TIMEOUT_MS) {
    throw new StartupError('Invalid configuration: PUSH_LEASE_MS must be longer than PUSH_SEND_TIMEOUT_MS (a worker holds a row while it sends)')
  }
}

/** The old names `source` still uses. */
function renamedSettingsIn (source: ConfigInput | NodeJS.ProcessEnv): Array<{ setting: RenamedSetting, replacement: keyof Config }> {
  return Object.entries(RENAMED_SETTINGS)
    .filter(([old]) => !isBlank((source as Record<string, unknown>)[old]))
    .map(([old, current]) => ({ setting: old as RenamedSetting, replacement: current }))
}

export interface ConfigWarning {
  fields: Record<string, unknown>
  message: string
}

/**
 * Settings that work but deserve a word at start-up, said once the logger exists: old names, and outside
 * production (where they are refusals) the development secret or a short one.
 */
export function configWarnings (config: Config, source: ConfigInput | NodeJS.ProcessEnv): ConfigWarning[] {
  const warnings: ConfigWarning[] = renamedSettingsIn(source).map((renamed) => ({ fields: renamed, message: `${renamed.setting} is deprecated: use ${renamed.replacement}` }))
  if (config.JWT_SECRET === undefined && config.JWT_PUBLIC_KEY === undefined) {
    warnings.push({ fields: { host: config.HOST }, message: 'JWT_SECRET is not set: using the fixed development secret, accepted on a loopback address only (never do this in production)' })
  }
  const secretBytes = config.JWT_SECRET === undefined ? undefined : Buffer.byteLength(config.JWT_SECRET)
  if (secretBytes !== undefined && secretBytes < minimumSecretBytes(config)) {
    warnings.push({ fields: { secretBytes, minimumBytes: minimumSecretBytes(config) }, message: 'JWT_SECRET is shorter than RFC 7518 asks: production refuses to start with it' })
  }
  return warnings
}

/** The exact origins a browser may open /ws from; undefined when any origin is accepted. */
export function allowedOrigins (config: Pick<Config, 'ALLOWED_ORIGINS'>): Set<string> | undefined {
  const list = originList(config.ALLOWED_ORIGINS)
  return list === undefined ? undefined : new Set(list)
}

/** The origins a message's free `media` URL may come from; undefined when any is accepted. */
export function mediaOrigins (config: Pick<Config, 'MEDIA_ALLOWED_ORIGINS'>): Set<string> | undefined {
  const list = originList(config.MEDIA_ALLOWED_ORIGINS)
  return list === undefined ? undefined : new Set(list)
}

const originList = (text: string | undefined): string[] | undefined =>
  text?.split(',').map((origin) => origin.trim()).filter(Boolean)
