import fp from 'fastify-plugin'
import { queueClear } from '../src/push/outbox.js'
import { chooseSenders, countedSenders } from '../src/push/senders.js'
import { PushWorker } from '../src/push/worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    push: {
      /** The providers this server sends through (empty: push is off). */
      readonly providers: ReadonlySet<string>
      readonly vapidPublicKey: string | undefined
      /** This node's outbox worker, when it runs one. */
      readonly worker: PushWorker | undefined
      /** A message was stored: its pushes may be due now. */
      messageStored: () => void
      /** The user read a room on `deviceUuid`: their other devices get a silent clear for it. */
      roomRead: (userId: string, roomId: string, messageId: string, deviceUuid: string) => Promise<void>
    }
  }
}

export default fp(async (app) => {
  const { config, db } = app
  const senders = countedSenders(chooseSenders(config), (provider, result) => { app.metrics.pushSends.inc(provider, result) })
  const providers = new Set(Object.keys(senders))
  if (providers.size === 0) {
    app.log.info('push notifications are off: set VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY/VAPID_SUBJECT or FCM_SERVICE_ACCOUNT_JSON to turn them on')
  } else {
    app.log.info({ providers: [...providers], worker: config.PUSH_WORKER }, 'push notifications on')
  }
  const worker = providers.size > 0 && config.PUSH_WORKER
    ? new PushWorker(db, senders, app.presenceSource, {
      delayMs: config.PUSH_DELAY_MS,
      ttlSeconds: config.PUSH_TTL_S,
      maxAttempts: config.PUSH_MAX_ATTEMPTS,
      retryBaseMs: config.PUSH_RETRY_BASE_MS,
      leaseMs: config.PUSH_LEASE_MS,
      sendTimeoutMs: config.PUSH_SEND_TIMEOUT_MS,
      pollMs: config.PUSH_POLL_MS,
      breakerThreshold: config.PUSH_BREAKER_THRESHOLD,
      breakerCooldownMs: config.PUSH_BREAKER_COOLDOWN_MS
    }, app.log.child({ module: 'push' }))
    : undefined

  app.decorate('push', {
    providers,
    vapidPublicKey: senders.webpush !== undefined ? config.VAPID_PUBLIC_KEY : undefined,
    worker,
    messageStored: () => { worker?.wake() },
    roomRead: async (userId, roomId, messageId, deviceUuid) => {
      if (providers.size === 0) return
      await queueClear(db, userId, roomId, messageId, deviceUuid, config.PUSH_CLEAR_THROTTLE_MS)
    }
  })
  app.addHook('onReady', async () => { worker?.start() })
  // Sends in progress finish before the database closes (this hook runs before the db plugin's).
  app.addHook('onClose', async () => { await worker?.stop() })
}, { name: 'push', dependencies: ['config', 'db', 'engines', 'metrics'] })
