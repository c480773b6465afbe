import { createHmac, randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import { DEV_JWT_SECRET, durationMs, type Config } from '../src/config.js'
import { MediaLinks } from '../src/chat/media-links.js'
import { chooseStorage, incomingDir } from '../src/storage/choose.js'
import { AttachmentService } from '../src/media/service.js'
import { uploadLimits } from '../src/media/kinds.js'

declare module 'fastify' {
  interface FastifyInstance {
    attachments: AttachmentService
    mediaLinks: MediaLinks
  }
}

/**
 * The key of signed media links: MEDIA_URL_SECRET, else one derived from the HMAC login secret (every node
 * has it). With a public login key and no MEDIA_URL_SECRET there is nothing shared: a random key per
 * process, said at start-up.
 */
function mediaSecret (config: Config): { key: Buffer, shared: boolean } {
  if (config.MEDIA_URL_SECRET !== undefined) return { key: Buffer.from(config.MEDIA_URL_SECRET), shared: true }
  if (config.JWT_PUBLIC_KEY !== undefined) return { key: randomBytes(32), shared: false }
  return { key: createHmac('sha256', config.JWT_SECRET ?? DEV_JWT_SECRET).update('media links').digest(), shared: true }
}

export default fp(async (app) => {
  const { config } = app
  const storage = chooseStorage(config)
  const secret = mediaSecret(config)
  if (!secret.shared) app.log.warn('MEDIA_URL_SECRET is not set and tokens are verified with a public key: signed media links work only on the node that made them')
  app.decorate('mediaLinks', new MediaLinks(secret.key, config.MEDIA_URL_TTL_S))
  const service = new AttachmentService({
    db: app.db,
    storage,
    limits: uploadLimits(config),
    incomingDir: incomingDir(config),
    directUploadTtlS: config.S3_UPLOAD_TTL_S,
    log: app.log
  })
  app.decorate('attachments', service)
  app.log.info({ storage: storage.kind }, 'attachments ready')

  const orphanTtlMs = durationMs(config.UPLOAD_ORPHAN_TTL)
  let collecting: Promise<unknown> | undefined
  const timer = setInterval(() => {
    collecting ??= service.collectGarbage(orphanTtlMs)
      .catch((error: unknown) => { app.log.warn({ err: error }, 'attachment collection failed') })
      .finally(() => { collecting = undefined })
  }, config.UPLOAD_GC_INTERVAL_MS).unref()
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await collecting
    await storage.close()
  })
}, { name: 'uploads', dependencies: ['config', 'db'] })
