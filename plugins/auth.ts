import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import type { Algorithm } from 'fast-jwt'
import { CommandFailure } from '../src/protocol/errors.js'
import { DEV_JWT_SECRET, type Config } from '../src/config.js'

export interface VerifiedToken {
  /** The user the token speaks for, as a decimal string. */
  userId: string
  /** Expiry in milliseconds since the epoch. */
  expiresAt: number
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies a login token; throws a CommandFailure with INVALID_TOKEN or TOKEN_EXPIRED. */
    verifyToken: (token: string) => VerifiedToken
  }
}

const HMAC = ['HS256', 'HS384', 'HS512']
const PUBLIC_KEY = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

/** The algorithms to accept: pinned to the kind of key configured, so HS/RS confusion and `none` are impossible. */
export function acceptedAlgorithms (config: Config): Algorithm[] {
  const allowed = config.JWT_PUBLIC_KEY !== undefined ? PUBLIC_KEY : HMAC
  if (config.JWT_ALGORITHMS === undefined) return config.JWT_PUBLIC_KEY !== undefined ? ['RS256', 'ES256'] : ['HS256']
  const wanted = config.JWT_ALGORITHMS.split(',').map((name) => name.trim()).filter(Boolean)
  const wrong = wanted.filter((name) => !allowed.includes(name))
  if (wanted.length === 0 || wrong.length > 0) {
    throw new Error(`Invalid configuration: JWT_ALGORITHMS ${wrong.join(',') || '(empty)'} does not fit the configured ${config.JWT_PUBLIC_KEY !== undefined ? 'JWT_PUBLIC_KEY' : 'JWT_SECRET'}`)
  }
  return wanted as Algorithm[]
}

/** The latest instant a JavaScript Date can hold (ECMA-262 §21.4.1.22). */
const MAX_DATE_MS = 8.64e15

const toUserId = (value: unknown): string | undefined => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value)
  if (typeof value === 'string' && /^[0-9]{1,18}$/.test(value)) return value
  return undefined
}

export default fp(async (app) => {
  const { config } = app
  const algorithms = acceptedAlgorithms(config)
  const secret = config.JWT_PUBLIC_KEY !== undefined
    ? { public: config.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') }
    : (config.JWT_SECRET ?? DEV_JWT_SECRET)
  await app.register(fastifyJwt, {
    secret,
    verify: {
      algorithms,
      ...(config.JWT_ISSUER !== undefined && { allowedIss: config.JWT_ISSUER }),
      ...(config.JWT_AUDIENCE !== undefined && { allowedAud: config.JWT_AUDIENCE }),
      clockTolerance: config.JWT_CLOCK_TOLERANCE_S * 1000,
      // fast-jwt checks iss/aud only when the token carries them: a configured one must be present too.
      requiredClaims: [
        'exp',
        ...(config.JWT_ISSUER !== undefined ? ['iss'] : []),
        ...(config.JWT_AUDIENCE !== undefined ? ['aud'] : [])
      ]
    }
  })

  app.decorate('verifyToken', (token: string): VerifiedToken => {
    let payload: Record<string, unknown>
    try {
      payload = app.jwt.verify<Record<string, unknown>>(token)
    } catch (error) {
      const code = (error as { code?: string }).code
      throw new CommandFailure(code === 'FAST_JWT_EXPIRED' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN')
    }
    const userId = toUserId(payload[config.JWT_USER_CLAIM]) ?? toUserId(payload.userId)
    // An `exp` past what a Date holds (1e15, 1e400 read as Infinity) is no real expiry: it would break
    // the answer that reports it.
    const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : NaN
    if (userId === undefined || !(Math.abs(expiresAt) <= MAX_DATE_MS)) throw new CommandFailure('INVALID_TOKEN')
    return { userId, expiresAt }
  })
}, { name: 'auth', dependencies: ['config'] })
