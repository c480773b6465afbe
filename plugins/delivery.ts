import fp from 'fastify-plugin'
import { DeliveryNode } from '../src/delivery/node.js'
import { RoomSubscriptions } from '../src/delivery/subscriptions.js'
import { nodeChannel } from '../src/broker/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    delivery: DeliveryNode
    /** The channels this node listens to: its users' and their rooms' (src/delivery/subscriptions.ts). */
    subscriptions: RoomSubscriptions
  }
}

/** Broker → node → registry: the only way frames reach this node's sockets. */
export default fp(async (app) => {
  const { broker, publisher, sessions, db } = app
  const node = new DeliveryNode({ sessions, hooks: { endReplacedSession: app.endReplacedSession, endDisabledAccount: app.endDisabledAccount }, log: app.log })
  const subscriptions = new RoomSubscriptions({ broker, db, log: app.log })
  const receive: Parameters<typeof broker.onEvent>[0] = (event) => {
    subscriptions.receive(event)
    node.receive(event)
  }
  broker.onEvent(receive)
  // What the broker could not carry still reaches this node's own sockets.
  publisher.deliverHere = receive
  await broker.subscribe([nodeChannel(broker.nodeId)])
  app.decorate('delivery', node)
  app.decorate('subscriptions', subscriptions)
}, { name: 'delivery', dependencies: ['db', 'engines', 'sessions'] })
