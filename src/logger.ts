import { createRequire } from 'node:module'
import type { FastifyServerOptions } from 'fastify'

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

export function loggerOptions (level: string): FastifyServerOptions['logger'] {
  if (level === 'silent') return false
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Human-friendly lines on a terminal; JSON lines everywhere else (log shippers, CI).
    ...(process.stdout.isTTY && hasPinoPretty() && { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } })
  }
}
