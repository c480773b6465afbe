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

// Loading, checking and the start-up warnings are src/config.ts's; the plugin only hands the settings to the app.
export default fp<ConfigPluginOptions>(async (app, opts) => {
  app.decorate('config', opts.config)
}, { name: 'config' })
