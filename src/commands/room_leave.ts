import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { removeMember } from '../chat/membership.js'
import { publishMemberRemoved } from '../chat/room-events.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const RoomLeave = commandSchema({ roomId: Id })

export default defineCommand({
  schema: RoomLeave,
  answer: Answers.room_leave,
  requiresAuth: true,
  failures: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
  async handler (input, { app, conn, session }) {
    const userId = session.userId
    const roomId = idString(input.roomId)
    const change = await removeMember(app.db, roomId, userId, userId)
    if (change.changed) await publishMemberRemoved(app.publisher, { roomId, userId, removedBy: userId, memberIds: change.memberIds }, conn.id)
    return { roomId }
  }
})
