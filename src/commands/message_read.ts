import { commandSchema, Id, idString, isoTime } from '../protocol/envelope.js'
import { markRead } from '../chat/read-markers.js'
import { publishRoomEvent } from '../chat/room-events.js'
import { Answers, buildFrame, Events } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const MessageRead = commandSchema({
  roomId: Id,
  messageId: Id
})

export default defineCommand({
  schema: MessageRead,
  answer: Answers.message_read,
  requiresAuth: true,
  failures: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'MESSAGE_NOT_FOUND'],
  async handler (input, { app, conn, session }) {
    const userId = session.userId
    const roomId = idString(input.roomId)
    const messageId = idString(input.messageId)
    const moved = await markRead(app.db, roomId, userId, messageId)
    if (moved !== undefined) {
      // Every member's devices, the reader's other devices included (they clear their unread badge).
      await publishRoomEvent(app.publisher, roomId, moved.recipients, buildFrame(Events.message_read, { roomId, userId, messageId, readAt: isoTime(moved.readAt) }), conn.id)
      // The notification for the room goes from the reader's other devices too.
      await app.push.roomRead(userId, roomId, messageId, session.uuid)
    }
    return {}
  }
})
