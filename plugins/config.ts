import fp from 'fastify-plugin'
import { minimumSecretBytes, type Config } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface ConfigPluginOptions {
  /** The settings buildApp loaded (once) from the environment and its callers' overrides. */
  config: Config
}

export default fp<ConfigPluginOptions>(async (app, opts) => {
  const { config } = opts
  if (config.JWT_SECRET === undefined && config.JWT_PUBLIC_KEY === undefined) {
    app.log.warn({ host: config.HOST }, 'JWT_SECRET is not set: using the fixed development secret, accepted on a loopback address only (never do this in production)')
  }
  // Production refuses a short HMAC secret; elsewhere (tests, a laptop) it is said once and allowed.
  const secretBytes = config.JWT_SECRET === undefined ? undefined : Buffer.byteLength(config.JWT_SECRET)
  if (secretBytes !== undefined && secretBytes < minimumSecretBytes(config)) {
    app.log.warn({ secretBytes, minimumBytes: minimumSecretBytes(config) }, 'JWT_SECRET is shorter than RFC 7518 asks: production refuses to start with it')
  }
  app.decorate('config', config)
}, { name: 'config' })
