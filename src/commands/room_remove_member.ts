import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { removeMember } from '../chat/membership.js'
import { publishMemberRemoved } from '../chat/room-events.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const RoomRemoveMember = commandSchema({ roomId: Id, userId: Id })

export default defineCommand({
  schema: RoomRemoveMember,
  answer: Answers.room_remove_member,
  requiresAuth: true,
  failures: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'FORBIDDEN'],
  async handler (input, { app, conn, session }) {
    const removedBy = session.userId
    const roomId = idString(input.roomId)
    const userId = idString(input.userId)
    const change = await removeMember(app.db, roomId, removedBy, userId)
    if (change.changed) await publishMemberRemoved(app.publisher, { roomId, userId, removedBy, memberIds: change.memberIds }, conn.id)
    return { roomId, userId }
  }
})
