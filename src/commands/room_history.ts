import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, roomHistory } from '../chat/history.js'
import { requireMember } from '../chat/membership.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const RoomHistory = commandSchema({
  roomId: Id,
  beforeMessageId: Type.Optional(Id),
  afterMessageId: Type.Optional(Id),
  // Larger values are served as the maximum rather than refused.
  limit: Type.Optional(Type.Integer({ minimum: 1 }))
})

export default defineCommand({
  schema: RoomHistory,
  answer: Answers.room_history,
  requiresAuth: true,
  failures: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
  async handler (input, { app, session }) {
    const roomId = idString(input.roomId)
    await requireMember(app.db, roomId, session.userId)
    const page = await roomHistory(app.db, roomId, {
      limit: Math.min(input.limit ?? HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT),
      ...(input.beforeMessageId !== undefined && { beforeId: idString(input.beforeMessageId) }),
      ...(input.afterMessageId !== undefined && { afterId: idString(input.afterMessageId) })
    }, app.mediaLinks)
    return { roomId, ...page }
  }
})
