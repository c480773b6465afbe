import fp from 'fastify-plugin'
import { MessageStore } from '../src/chat/message-store.js'
import { messageEventBody } from '../src/chat/wire.js'
import { toWireAttachment } from '../src/chat/attachments.js'
import { Answers, buildFrameFrom, Events, serializeFields } from '../src/protocol/events.js'

declare module 'fastify' {
  interface FastifyInstance {
    messageStore: MessageStore
  }
}

export default fp(async (app) => {
  const { metrics } = app
  const { storeBatchSize, storeSeconds } = metrics.histograms
  const store = new MessageStore(app.db, {
    // Runs only after the message's transaction committed: persist before broadcast.
    onStored: (stored) => {
      const { row, input } = stored
      metrics.messagesStored++
      app.log.info({ messageId: row.id, roomId: row.roomId, senderId: row.senderId, type: row.messageType, size: row.content?.length ?? 0 }, 'message stored')
      // One frame for every recipient: its signed links are the same for all of them.
      const attachment = stored.attachment === null ? undefined : toWireAttachment(stored.attachment, app.mediaLinks)
      // The broadcast and the sender's acknowledgement carry the same body: it is serialized once.
      const body = serializeFields(Events.user_message, messageEventBody(row, input.sender, stored.room, attachment))
      const frame = buildFrameFrom(Events.user_message, body)
      const { origin } = input
      // The sender's acknowledgement travels with the broadcast, in the room's seq order. The publisher
      // never rejects: a broker that failed is logged and counted there.
      void app.publisher.toRoom(row.roomId, stored.recipients, frame, {
        seq: row.seq,
        ...(input.receivedAt !== undefined && { receivedAt: input.receivedAt }),
        ...(origin !== undefined && { origin: { connectionId: origin.connectionId, slot: origin.slot, ack: buildFrameFrom(Answers.user_message, body, origin.requestId) } })
      })
      // The message's push outbox rows were written with it; the worker decides per recipient now.
      app.push.messageStored()
    },
    onError: (error, size) => { app.log.error({ err: error, batchSize: size }, 'message store failed') },
    onBatch: (results, seconds) => {
      storeBatchSize.observe(results.length)
      storeSeconds.observe(seconds)
      // A refusal of the request (not a member, no such room) is the command's answer, not a store failure.
      for (const result of results) if (!result.ok && (result.code === 'UNAVAILABLE' || result.code === 'INTERNAL')) metrics.storeFailures.inc(result.code)
    }
  }, { waitLimitMs: app.config.DB_POOL_WAIT_MS })
  app.decorate('messageStore', store)
  // In-flight stores finish before the database closes (this hook runs before the db plugin's).
  app.addHook('onClose', async () => { await store.drain() })
}, { name: 'messages', dependencies: ['db', 'engines', 'delivery', 'push', 'metrics', 'uploads'] })
