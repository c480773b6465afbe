import { and, eq, ne, or } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { pushRegistrations } from '../db/schema.js'
import { fail, type FieldError } from '../protocol/errors.js'

export interface DeviceRegistration {
  userId: string
  deviceUuid: string
  provider: 'webpush' | 'fcm'
  /** The Web Push endpoint, or the FCM token. */
  address: string
  p256dh: string | null
  auth: string | null
  locale: string | null
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Why a Web Push endpoint is refused, or undefined when it is accepted: https only in production;
 * outside production also http on the loopback, so a local server can play the push service.
 */
export function endpointProblem (endpoint: string, production: boolean): string | undefined {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return 'must be a URL'
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && !production && LOOPBACK_HOSTS.has(url.hostname)) return undefined
  return production ? 'must be an https: URL' : 'must be an https: URL (or http: on 127.0.0.1 or localhost)'
}

/** Why a subscription key is refused: p256dh is an uncompressed P-256 point (65 bytes), auth 16 bytes. */
export function keyProblem (value: string, bytes: number): string | undefined {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value)) return 'must be base64url'
  const decoded = Buffer.from(value, 'base64url')
  if (decoded.length !== bytes) return `must be ${bytes} bytes`
  if (bytes === 65 && decoded[0] !== 4) return 'must be an uncompressed P-256 public key'
  return undefined
}

/**
 * Makes `registration` the device's only one, replacing what the device registered before. The same
 * endpoint or token registered by another user or device moves here: a shared browser reaches only
 * whoever registered it last.
 */
export async function registerDevice (db: Db, registration: DeviceRegistration): Promise<void> {
  const { userId, deviceUuid, ...fields } = registration
  await db.transaction(async (tx) => {
    await tx.delete(pushRegistrations).where(and(
      eq(pushRegistrations.provider, registration.provider),
      eq(pushRegistrations.address, registration.address),
      or(ne(pushRegistrations.userId, userId), ne(pushRegistrations.deviceUuid, deviceUuid))
    ))
    await tx.insert(pushRegistrations).values({ userId, deviceUuid, ...fields })
      .onConflictDoUpdate({ target: [pushRegistrations.userId, pushRegistrations.deviceUuid], set: { ...fields, updatedAt: new Date() } })
  })
}

/** Removes the device's registration (push_unregister, user_logout); true when there was one. */
export async function unregisterDevice (db: Db, userId: string, deviceUuid: string): Promise<boolean> {
  const removed = await db.delete(pushRegistrations)
    .where(and(eq(pushRegistrations.userId, userId), eq(pushRegistrations.deviceUuid, deviceUuid)))
    .returning({ userId: pushRegistrations.userId })
  return removed.length > 0
}

/**
 * Deletes a registration the push service called dead (404/410, UNREGISTERED), unless the device has
 * registered a new address since.
 */
export async function forgetDeadRegistration (db: Db, userId: string, deviceUuid: string, address: string): Promise<void> {
  await db.delete(pushRegistrations).where(and(
    eq(pushRegistrations.userId, userId),
    eq(pushRegistrations.deviceUuid, deviceUuid),
    eq(pushRegistrations.address, address)
  ))
}

/** What a client sent to register a device (push_register, POST /push/subscriptions), already shape-checked. */
export interface RegistrationRequest {
  provider: 'webpush' | 'fcm'
  subscription?: { endpoint?: string, keys?: { p256dh?: string, auth?: string } }
  token?: string
  locale?: string
}

/**
 * The registration a request asks for. Fails with "Missing required fields" when the provider's field is
 * absent, "Invalid message format" for an endpoint or key that cannot work, and for a provider this
 * server does not send through.
 */
export function readRegistration (request: RegistrationRequest, device: { userId: string, deviceUuid: string }, options: { production: boolean, providers: ReadonlySet<string> }): DeviceRegistration {
  if (!options.providers.has(request.provider)) fail('INVALID_FORMAT', [{ path: '/provider', message: `push through ${request.provider} is not configured on this server` }])
  const base = { ...device, locale: request.locale ?? null }
  if (request.provider === 'fcm') {
    if (request.token === undefined) return fail('MISSING_FIELDS', [{ path: '/token', message: 'is required' }])
    return { ...base, provider: 'fcm', address: request.token, p256dh: null, auth: null }
  }
  const subscription = request.subscription
  if (subscription === undefined) return fail('MISSING_FIELDS', [{ path: '/subscription', message: 'is required' }])
  const { endpoint, keys } = subscription
  const absent = [
    ...(endpoint === undefined ? ['/subscription/endpoint'] : []),
    ...(keys?.p256dh === undefined ? ['/subscription/keys/p256dh'] : []),
    ...(keys?.auth === undefined ? ['/subscription/keys/auth'] : [])
  ]
  if (absent.length > 0 || endpoint === undefined || keys?.p256dh === undefined || keys.auth === undefined) {
    return fail('MISSING_FIELDS', absent.map((path) => ({ path, message: 'is required' })))
  }
  const problems: FieldError[] = []
  const endpointWrong = endpointProblem(endpoint, options.production)
  if (endpointWrong !== undefined) problems.push({ path: '/subscription/endpoint', message: endpointWrong })
  const p256dh = keyProblem(keys.p256dh, 65)
  if (p256dh !== undefined) problems.push({ path: '/subscription/keys/p256dh', message: p256dh })
  const auth = keyProblem(keys.auth, 16)
  if (auth !== undefined) problems.push({ path: '/subscription/keys/auth', message: auth })
  if (problems.length > 0) fail('INVALID_FORMAT', problems)
  return { ...base, provider: 'webpush', address: endpoint, p256dh: keys.p256dh, auth: keys.auth }
}
