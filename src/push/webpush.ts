import webpush from 'web-push'
import { retryable, retryAfterMs, type PushNotification, type PushSender, type PushTarget, type SendOutcome } from './types.js'

export interface WebPushOptions {
  publicKey: string
  privateKey: string
  subject: string
  timeoutMs: number
}

/**
 * RFC 8291 (aes128gcm) adds 86 bytes of header, one padding delimiter and a 16-byte tag to the payload;
 * push services accept at least 4096 bytes of body (RFC 8030 §7.2).
 */
const MAX_BODY_BYTES = 4096
const ENCRYPTION_OVERHEAD = 86 + 1 + 16

/** The JSON a service worker receives; `tag` lets it replace the room's notification. */
export const webPushPayload = (n: PushNotification): string => JSON.stringify(n.kind === 'message'
  ? { type: 'message', roomId: n.roomId, messageId: n.messageId, title: n.title, body: n.body, badge: n.badge, tag: n.roomId }
  : { type: 'clear', roomId: n.roomId, messageId: n.messageId, badge: n.badge, tag: n.roomId })

/**
 * Web Push through the `web-push` library: it encrypts the payload and signs the VAPID header; the
 * request itself goes out with fetch, which speaks plain http to a local push service outside
 * production (the library's own sender only speaks https).
 */
export function webPushSender (options: WebPushOptions): PushSender {
  // Throws at start-up on keys that are not P-256 keys in base64url, or on a bad subject.
  const vapidDetails = { subject: options.subject, publicKey: options.publicKey, privateKey: options.privateKey }
  webpush.generateRequestDetails({ endpoint: 'https://push.invalid/', keys: { p256dh: '', auth: '' } }, null, { vapidDetails })

  return {
    provider: 'webpush',
    maxPayloadBytes: MAX_BODY_BYTES,
    payloadSize: (_target, notification) => Buffer.byteLength(webPushPayload(notification)) + ENCRYPTION_OVERHEAD,
    async send (target: PushTarget, notification: PushNotification): Promise<SendOutcome> {
      const details = webpush.generateRequestDetails(
        { endpoint: target.address, keys: { p256dh: target.p256dh ?? '', auth: target.auth ?? '' } },
        webPushPayload(notification),
        {
          vapidDetails,
          // The library's default TTL is four weeks: a chat notification that old is noise.
          TTL: notification.ttlSeconds,
          // A clear changes nothing the user sees at once; a message should wake the device.
          urgency: notification.kind === 'message' ? 'high' : 'normal',
          // One notification per room at the push service too: a newer push replaces one not yet delivered.
          topic: notification.roomId,
          contentEncoding: 'aes128gcm'
        }
      )
      // fetch sets Content-Length from the body itself.
      const headers = Object.fromEntries(Object.entries(details.headers)
        .filter(([name]) => name.toLowerCase() !== 'content-length')
        .map(([name, value]) => [name, String(value)]))
      let response: Response
      try {
        response = await fetch(details.endpoint, {
          method: 'POST',
          headers,
          ...(details.body !== null && { body: details.body }),
          signal: AbortSignal.timeout(options.timeoutMs)
        })
      } catch {
        // No answer (refused, reset, timed out): the push service may be down; the same as a 503 for us.
        return { kind: 'retry', status: 0 }
      }
      await response.arrayBuffer().catch(() => undefined)
      return outcomeOf(response.status, response.headers.get('retry-after'))
    }
  }
}

function outcomeOf (status: number, retryAfter: string | null): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent' }
  if (status === 404 || status === 410) return { kind: 'gone', status }
  if (retryable(status)) {
    const after = retryAfterMs(retryAfter)
    return { kind: 'retry', status, ...(after !== undefined && { retryAfterMs: after }) }
  }
  return { kind: 'rejected', status }
}

/** A new VAPID key pair (npm run vapid). */
export const newVapidKeys = (): { publicKey: string, privateKey: string } => webpush.generateVAPIDKeys()
