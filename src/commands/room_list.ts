import { Type } from '@sinclair/typebox'
import { commandSchema } from '../protocol/envelope.js'
import { decodeCursor, listRooms, ROOM_LIST_DEFAULT_LIMIT, ROOM_LIST_MAX_LIMIT } from '../chat/room-list.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const RoomList = commandSchema({
  // Larger values are served as the maximum rather than refused.
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  // The `nextCursor` of the previous page.
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 128 }))
})

export default defineCommand({
  schema: RoomList,
  answer: Answers.room_list,
  requiresAuth: true,
  failures: ['INVALID_FORMAT'],
  async handler (input, { app, fail, session }) {
    const before = input.before === undefined ? undefined : decodeCursor(input.before)
    if (input.before !== undefined && before === undefined) fail('INVALID_FORMAT', [{ path: '/before', message: 'must be a nextCursor from an earlier room_list' }])
    return listRooms(app.db, session.userId, {
      limit: Math.min(input.limit ?? ROOM_LIST_DEFAULT_LIMIT, ROOM_LIST_MAX_LIMIT),
      ...(before !== undefined && { before })
    }, app.mediaLinks)
  }
})
