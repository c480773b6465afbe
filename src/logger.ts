import { createRequire } from 'node:module'
import type { FastifyServerOptions } from 'fastify'
import { stdSerializers, type DestinationStream } from 'pino'

/**
 * Paths that may hold secrets or private text: login tokens, message content, authorization headers.
 * Handlers never log them on purpose; redaction is the safety net for an error object that carries a request.
 */
export const REDACTED_PATHS = [
  'token', '*.token', 'content', '*.content', 'req.headers.authorization', 'req.headers.cookie',
  'request.token', 'frame', '*.frame', 'err.params', 'err.query', 'err.cause.params', 'err.cause.query'
]

const hasPinoPretty = (): boolean => {
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

/** A failed query's text names its bound values (`params: …`, message content among them): cut them out. */
const QUERY_PARAMS = /\nparams: [^\n]*/g
const scrub = (text: unknown) => typeof text === 'string' ? text.replace(QUERY_PARAMS, '\nparams: [redacted]') : text

/** The standard error serializer, with bound query values taken out of messages and stacks (causes included). */
export function serializeError (error: Error): { [key: string]: unknown, type: string, message: string, stack: string } {
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>
  const clean = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value
    const copy: Record<string, unknown> = { ...value as Record<string, unknown> }
    copy.message = scrub(copy.message)
    copy.stack = scrub(copy.stack)
    if ('params' in copy) copy.params = '[redacted]'
    if ('query' in copy) copy.query = scrub(copy.query)
    if ('cause' in copy) copy.cause = clean(copy.cause)
    return copy
  }
  return clean(serialized) as { type: string, message: string, stack: string }
}

/** True when the server's log lines are made for a person: stdout is a terminal and pino-pretty is installed. */
export const prettyLogs = (): boolean => process.stdout.isTTY && hasPinoPretty()

/** Logger settings of the server; `stream` sends the lines elsewhere than stdout (tests capture them). */
export function loggerOptions (level: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  if (level === 'silent') return false
  const common = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } }
  if (stream !== undefined) return { ...common, stream }
  return {
    ...common,
    // Human-friendly lines on a terminal; JSON lines everywhere else (log shippers, CI).
    ...(prettyLogs() && { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } })
  }
}
