/** The push services the server can send through; one sender each (webpush.ts, fcm.ts). */
export type PushProvider = 'webpush' | 'fcm'

/** Where one device receives pushes: a browser PushSubscription or an FCM registration token. */
export interface PushTarget {
  userId: string
  deviceUuid: string
  provider: PushProvider
  /** The Web Push endpoint URL, or the FCM token. */
  address: string
  /** Web Push only: the subscription's P-256 public key and auth secret, base64url. */
  p256dh: string | null
  auth: string | null
  locale: string | null
}

/**
 * What a device is told. A `message` is shown; a `clear` is silent and makes the device drop the room's
 * notification. Both carry the room id as collapse key, so a device shows at most one per room.
 */
export interface PushNotification {
  kind: 'message' | 'clear'
  roomId: string
  messageId: string
  /** The user's unread total over all rooms. */
  badge: number
  /** Shown text (message only): the room or sender as title, sender and preview as body. */
  title?: string
  body?: string
  /** How long the push service keeps it for an unreachable device. */
  ttlSeconds: number
}

/** What the push service answered, as the worker acts on it. */
export type SendOutcome =
  | { kind: 'sent' }
  /** 404/410, FCM UNREGISTERED: the registration is dead and is deleted. */
  | { kind: 'gone', status: number }
  /** 5xx, 429 or no answer: tried again later; `retryAfterMs` from Retry-After when given. */
  | { kind: 'retry', status: number, retryAfterMs?: number }
  /** Any other refusal: not retried. */
  | { kind: 'rejected', status: number }

export interface PushSender {
  readonly provider: PushProvider
  /** The largest payload, in bytes, the provider accepts; previews are cut to fit it. */
  readonly maxPayloadBytes: number
  /** The payload as it would be sent: the worker cuts the preview until this fits `maxPayloadBytes`. */
  payloadSize: (target: PushTarget, notification: PushNotification) => number
  send: (target: PushTarget, notification: PushNotification) => Promise<SendOutcome>
}

/** Status codes that are worth another try; everything else is final. */
export const retryable = (status: number): boolean => status === 429 || status >= 500

/** Seconds or an HTTP date in Retry-After, as milliseconds from now. */
export function retryAfterMs (header: string | null | undefined): number | undefined {
  if (header === null || header === undefined || header === '') return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
