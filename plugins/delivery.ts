import fp from 'fastify-plugin'
import { DeliveryNode } from '../src/delivery/node.js'
import { RoomSubscriptions } from '../src/delivery/subscriptions.js'
import { PositionCheck } from '../src/delivery/position-check.js'
import { nodeChannel, type BrokerEvent, type RoomFrameEvent } from '../src/broker/types.js'
import { lastSeqs, messagesBetween } from '../src/chat/room-catch-up.js'
import { buildFrame, Events } from '../src/protocol/events.js'
import { endDisabledAccount, endReplacedSession } from '../src/sessions/lifecycle.js'

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
  const node = new DeliveryNode({
    sessions,
    hooks: { endReplacedSession: (conn) => { endReplacedSession(app.log, conn) }, endDisabledAccount: (conn) => { endDisabledAccount(app.log, conn) } },
    log: app.log,
    gapWaitMs: app.config.DELIVERY_GAP_WAIT_MS,
    // A gap the broker left is read back as the broadcast carried it, for the room's members of now.
    fill: async (roomId, fromSeq, toSeq) => {
      const missed = await messagesBetween(db, roomId, { afterSeq: fromSeq - 1, uptoSeq: toSeq }, toSeq - fromSeq + 1, app.mediaLinks)
      return missed.messages.map(({ seq, body }): RoomFrameEvent => ({
        type: 'room_frame', roomId, seq, userIds: missed.memberIds, frame: buildFrame(Events.user_message, body)
      }))
    }
  })
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
  // A room's delivery order starts at its last message before the node listens to it: whatever the
  // subscription then brings after a gap is filled from the database. A room no longer listened to is forgotten.
  subscriptions.onRoomsAdded(async (roomIds) => {
    for (const [roomId, lastSeq] of await lastSeqs(db, roomIds)) node.order.startAt(roomId, lastSeq)
  })
  subscriptions.onRoomDropped((roomId) => { node.order.forget(roomId) })
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
  app.addHook('onClose', async () => { node.close() })
}, { name: 'delivery', dependencies: ['config', 'db', 'engines', 'sessions', 'metrics'] })
