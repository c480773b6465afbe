import { commandSchema, Id, idString, isoTime } from '../protocol/envelope.js'
import { deleteMessage } from '../chat/message-changes.js'
import { publishRoomEvent } from '../chat/room-events.js'
import { Answers, buildFrame, Events } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const MessageDelete = commandSchema({
  messageId: Id
})

export default defineCommand({
  schema: MessageDelete,
  answer: Answers.message_delete,
  requiresAuth: true,
  failures: ['MESSAGE_NOT_FOUND', 'FORBIDDEN'],
  async handler (input, { app, conn, session }) {
    const userId = session.userId
    const deleted = await deleteMessage(app.db, { messageId: idString(input.messageId), userId })
    const { row } = deleted
    const body = { roomId: row.roomId, messageId: row.id, deletedAt: isoTime(row.deletedAt!), syncToken: row.changeSeq }
    if (deleted.changed) {
      app.log.info({ messageId: row.id, roomId: row.roomId, deletedBy: userId }, 'message deleted')
      await publishRoomEvent(app.publisher, row.roomId, deleted.recipients, buildFrame(Events.message_deleted, body), conn.id)
      // The bytes and thumbnails go before the answer; what fails here the next collection removes.
      if (deleted.attachments.length > 0) await app.attachments.purge(deleted.attachments)
    }
    return body
  }
})
