import fp from 'fastify-plugin'
import type { Broker } from '../src/broker/types.js'
import type { MemoryBus } from '../src/broker/memory-bus.js'
import { Publisher } from '../src/broker/publisher.js'
import type { PresenceSource } from '../src/presence/types.js'
import { chooseEngines } from '../src/engines.js'

declare module 'fastify' {
  interface FastifyInstance {
    broker: Broker
    /** Publishes for the commands and the store: never rejects (src/broker/publisher.ts). */
    publisher: Publisher
    presenceSource: PresenceSource
  }
}

export default fp<{ bus?: MemoryBus }>(async (app, options) => {
  const { broker, presence } = chooseEngines(app.config, {
    sessions: app.sessions,
    log: app.log,
    ...(options.bus !== undefined && { bus: options.bus })
  })
  app.decorate('broker', broker)
  app.decorate('publisher', new Publisher(broker, app.log))
  app.decorate('presenceSource', presence)
  app.addHook('onClose', async () => {
    await broker.close()
    await presence.close()
  })
}, { name: 'engines', dependencies: ['config', 'sessions'] })
