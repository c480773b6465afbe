import fp from 'fastify-plugin'
import { DeliveryNode } from '../src/delivery/node.js'
import { nodeChannel } from '../src/broker/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    delivery: DeliveryNode
  }
}

/** Broker → node → registry: the only way frames reach this node's sockets. */
export default fp(async (app) => {
  const { broker, publisher, sessions } = app
  const node = new DeliveryNode({ sessions, hooks: { endReplacedSession: app.endReplacedSession, endDisabledAccount: app.endDisabledAccount }, log: app.log })
  broker.onEvent((event) => { node.receive(event) })
  // What the broker could not carry still reaches this node's own sockets.
  publisher.deliverHere = (event) => { node.receive(event) }
  await broker.subscribe([nodeChannel(broker.nodeId)])
  app.decorate('delivery', node)
}, { name: 'delivery', dependencies: ['engines', 'sessions'] })
