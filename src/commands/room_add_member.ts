import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { addMember } from '../chat/membership.js'
import { publishMemberAdded } from '../chat/room-events.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const RoomAddMember = commandSchema({ roomId: Id, userId: Id })

export default defineCommand({
  schema: RoomAddMember,
  answer: Answers.room_add_member,
  requiresAuth: true,
  failures: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'FORBIDDEN', 'USER_NOT_FOUND'],
  async handler (input, { app, conn, session }) {
    const callerId = session.userId
    const userId = idString(input.userId)
    const change = await addMember(app.db, idString(input.roomId), callerId, userId)
    if (change.changed) await publishMemberAdded(app.publisher, change.room, userId, callerId, conn.id)
    return { room: change.room }
  }
})
