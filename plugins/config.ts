import fp from 'fastify-plugin'
import type { Config } from '../src/config.js'

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
  if (opts.config.JWT_SECRET === undefined && opts.config.JWT_PUBLIC_KEY === undefined) {
    app.log.warn('JWT_SECRET is not set: using the fixed development secret (never do this in production)')
  }
  app.decorate('config', opts.config)
}, { name: 'config' })
