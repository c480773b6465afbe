import fp from 'fastify-plugin'
import { LocalBroker, type Broker } from '../src/broker/events.js'

declare module 'fastify' {
  interface FastifyInstance {
    broker: Broker
  }
}

export default fp(async (app) => {
  // Several nodes will share a Redis implementation of the same interface; one node needs none.
  const broker: Broker = new LocalBroker()
  app.decorate('broker', broker)
  app.addHook('onClose', async () => { await broker.close() })
}, { name: 'broker', dependencies: ['config'] })
