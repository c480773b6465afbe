import { Type } from '@sinclair/typebox'
import { oneOfMessage } from './envelope.js'

/**
 * A browser PushSubscription, as PushSubscription.toJSON() gives it (extra fields are ignored). `endpoint`
 * and both keys are required; their absence is answered by the registration check ("Missing required
 * fields" naming the nested field), so the schema marks them optional.
 */
export const WebPushSubscription = Type.Object({
  endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  keys: Type.Optional(Type.Object({
    p256dh: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    auth: Type.Optional(Type.String({ minLength: 1, maxLength: 64 }))
  }))
})

/**
 * The fields of a push registration, over the socket (push_register) and over HTTP
 * (POST /push/subscriptions): `webpush` needs `subscription`, `fcm` needs `token`.
 */
export const PushRegistrationFields = {
  provider: Type.Union([Type.Literal('webpush'), Type.Literal('fcm')], { errorMessage: oneOfMessage(['webpush', 'fcm']) }),
  subscription: Type.Optional(WebPushSubscription),
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  /** The device's language (BCP 47, e.g. "vi-VN", "en-US"): English texts for "en…", Vietnamese otherwise. */
  locale: Type.Optional(Type.String({ minLength: 1, maxLength: 35 }))
}
