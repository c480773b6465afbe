import fp from 'fastify-plugin'
import { DeliveryNode } from '../src/delivery/node.js'
import { RoomSubscriptions } from '../src/delivery/subscriptions.js'
import { PositionCheck } from '../src/delivery/position-check.js'
import { nodeChannel, type BrokerEvent } from '../src/broker/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    delivery: DeliveryNode
    /** The channels this node listens to: its users' and their rooms' (src/delivery/subscriptions.ts). */
    subscriptions: RoomSubscriptions
  }
}

/** Broker → node → registry: the only way frames reach this node's sockets. */
export default fp(async (app) => {
  const { broker, publisher, sessions, db, metrics } = app
  const node = new DeliveryNode({ sessions, hooks: { endReplacedSession: app.endReplacedSession, endDisabledAccount: app.endDisabledAccount }, log: app.log })
  const subscriptions = new RoomSubscriptions({ broker, db, log: app.log })
  // A broker that hands every event to every node, inside publish, loses nothing: no position to check.
  const positions = subscriptions.active
    ? new PositionCheck({ db, rooms: () => subscriptions.rooms(), deliver: (event) => { node.receive(event) }, intervalMs: app.config.POSITION_CHECK_MS, links: () => app.mediaLinks, log: app.log })
    : undefined
  const { deliverySeconds } = metrics.histograms
  const receive = (event: BrokerEvent) => {
    subscriptions.receive(event)
    positions?.observe(event)
    node.receive(event)
    if (event.type === 'room_frame' && event.receivedAt !== undefined) deliverySeconds.observe((Date.now() - event.receivedAt) / 1000)
  }
  broker.onEvent((event) => {
    metrics.brokerReceived.inc(event.type)
    receive(event)
  })
  // What the broker could not carry still reaches this node's own sockets.
  publisher.deliverHere = receive
  if (positions !== undefined) {
    subscriptions.onRoomDropped((roomId) => { positions.forget(roomId) })
    // Back after the broker was away: membership events and messages published meanwhile never came.
    broker.onResume?.(() => {
      void subscriptions.refresh('all').then(async () => { await positions.check('all') })
    })
    const timer = setInterval(() => {
      void subscriptions.refresh('stale').then(async () => { await positions.check('quiet') })
    }, app.config.POSITION_CHECK_MS).unref()
    app.addHook('onClose', async () => { clearInterval(timer) })
  }
  await broker.subscribe([nodeChannel(broker.nodeId)])
  app.decorate('delivery', node)
  app.decorate('subscriptions', subscriptions)
}, { name: 'delivery', dependencies: ['db', 'engines', 'sessions', 'metrics'] })
