import { readFileSync } from 'node:fs'
import { JWT } from 'google-auth-library'
import { retryable, retryAfterMs, type PushNotification, type PushSender, type PushTarget, type SendOutcome } from './types.js'

export interface FcmOptions {
  /** The service account: its JSON text, or the path of its file. */
  serviceAccount: string
  /** The API's origin (https://fcm.googleapis.com); tests point it at a local server. */
  endpoint: string
  /** Replaces Google's OAuth2 token endpoint (tests). */
  tokenUrl?: string | undefined
  timeoutMs: number
}

interface ServiceAccount { project_id: string, client_email: string, private_key: string, private_key_id?: string }

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging'
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token'
/** FCM accepts 4096 bytes of message payload. */
const MAX_PAYLOAD_BYTES = 4096

function readServiceAccount (text: string): ServiceAccount {
  const json = text.trimStart().startsWith('{') ? text : readFileSync(text, 'utf8')
  const account = JSON.parse(json) as Partial<ServiceAccount>
  if (typeof account.project_id !== 'string' || typeof account.client_email !== 'string' || typeof account.private_key !== 'string') {
    throw new Error('Invalid configuration: FCM_SERVICE_ACCOUNT_JSON needs project_id, client_email and private_key')
  }
  return account as ServiceAccount
}

/**
 * The HTTP v1 message: a data message the app renders itself (so a clear stays silent and a message is
 * never shown twice, once by the system and once by the app), with the room as collapse key on Android
 * and as apns-collapse-id on iOS, and the TTL set explicitly.
 */
export function fcmMessage (target: PushTarget, n: PushNotification): Record<string, unknown> {
  const data: Record<string, string> = { type: n.kind, roomId: n.roomId, messageId: n.messageId, badge: String(n.badge) }
  if (n.kind === 'message') Object.assign(data, { title: n.title ?? '', body: n.body ?? '' })
  const expiresAt = String(Math.floor(Date.now() / 1000) + n.ttlSeconds)
  return {
    message: {
      token: target.address,
      data,
      android: { collapse_key: n.roomId, priority: n.kind === 'message' ? 'high' : 'normal', ttl: `${n.ttlSeconds}s` },
      apns: {
        headers: { 'apns-collapse-id': n.roomId, 'apns-expiration': expiresAt, 'apns-priority': n.kind === 'message' ? '10' : '5', ...(n.kind === 'clear' && { 'apns-push-type': 'background' }) },
        payload: {
          aps: n.kind === 'message'
            ? { alert: { title: n.title ?? '', body: n.body ?? '' }, badge: n.badge, 'thread-id': n.roomId, 'mutable-content': 1 }
            : { 'content-available': 1, badge: n.badge }
        }
      }
    }
  }
}

/** FCM HTTP v1, with an OAuth2 access token from the service account (google-auth-library caches and renews it). */
export function fcmSender (options: FcmOptions): PushSender {
  const account = readServiceAccount(options.serviceAccount)
  const client = new JWT({ email: account.client_email, key: account.private_key, keyId: account.private_key_id, scopes: [SCOPE] })
  if (options.tokenUrl !== undefined) {
    const tokenUrl = options.tokenUrl
    client.transporter.interceptors.request.add({
      resolved: async (request) => {
        if (request.url.toString() === GOOGLE_TOKEN_URL) request.url = new URL(tokenUrl)
        return request
      }
    })
  }
  const url = `${options.endpoint.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(account.project_id)}/messages:send`

  return {
    provider: 'fcm',
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    payloadSize: (target, notification) => Buffer.byteLength(JSON.stringify(fcmMessage(target, notification))),
    async send (target: PushTarget, notification: PushNotification): Promise<SendOutcome> {
      let response: Response
      try {
        const { token } = await client.getAccessToken()
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' },
          body: JSON.stringify(fcmMessage(target, notification)),
          signal: AbortSignal.timeout(options.timeoutMs)
        })
      } catch {
        // No token or no answer: the same as a 503 for us.
        return { kind: 'retry', status: 0 }
      }
      const body = await response.json().catch(() => undefined) as FcmError | undefined
      if (response.ok) return { kind: 'sent' }
      if (response.status === 404 || errorCode(body) === 'UNREGISTERED') return { kind: 'gone', status: response.status }
      if (retryable(response.status)) {
        const after = retryAfterMs(response.headers.get('retry-after'))
        return { kind: 'retry', status: response.status, ...(after !== undefined && { retryAfterMs: after }) }
      }
      return { kind: 'rejected', status: response.status }
    }
  }
}

interface FcmError { error?: { details?: Array<{ '@type'?: string, errorCode?: string }> } }

const errorCode = (body: FcmError | undefined): string | undefined =>
  body?.error?.details?.find((detail) => detail['@type']?.endsWith('FcmError') === true)?.errorCode
