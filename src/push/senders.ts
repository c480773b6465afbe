import type { Config } from '../config.js'
import { fcmSender } from './fcm.js'
import type { PushProvider, PushSender } from './types.js'
import { webPushSender } from './webpush.js'

export type PushSenders = Partial<Record<PushProvider, PushSender>>

/** The one place that decides which push providers run: those whose settings are present. */
export function chooseSenders (config: Config): PushSenders {
  const senders: PushSenders = {}
  if (config.VAPID_PUBLIC_KEY !== undefined && config.VAPID_PRIVATE_KEY !== undefined && config.VAPID_SUBJECT !== undefined) {
    senders.webpush = webPushSender({
      publicKey: config.VAPID_PUBLIC_KEY,
      privateKey: config.VAPID_PRIVATE_KEY,
      subject: config.VAPID_SUBJECT,
      timeoutMs: config.PUSH_SEND_TIMEOUT_MS
    })
  }
  if (config.FCM_SERVICE_ACCOUNT_JSON !== undefined) {
    senders.fcm = fcmSender({
      serviceAccount: config.FCM_SERVICE_ACCOUNT_JSON,
      endpoint: config.FCM_ENDPOINT,
      tokenUrl: config.FCM_TOKEN_URL,
      timeoutMs: config.PUSH_SEND_TIMEOUT_MS
    })
  }
  return senders
}

/** The same senders, each telling `onSent` what became of every send (`error` when it threw). */
export function countedSenders (senders: PushSenders, onSent: (provider: PushProvider, result: string) => void): PushSenders {
  const counted: PushSenders = {}
  for (const [provider, sender] of Object.entries(senders) as Array<[PushProvider, PushSender]>) {
    counted[provider] = {
      ...sender,
      payloadSize: sender.payloadSize.bind(sender),
      send: async (target, notification) => {
        try {
          const outcome = await sender.send(target, notification)
          onSent(provider, outcome.kind)
          return outcome
        } catch (error) {
          onSent(provider, 'error')
          throw error
        }
      }
    }
  }
  return counted
}
