import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString, StringOrNull } from '../protocol/envelope.js'
import type { FieldError } from '../protocol/errors.js'
import { checkText } from '../chat/message-rules.js'
import { createGroupRoom, MAX_NEW_ROOM_MEMBERS, openListingRoom, requireUsers } from '../chat/rooms.js'
import { publishMemberAdded, publishRoomCreated } from '../chat/room-events.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const MAX_ROOM_TITLE_CHARS = 200

/** Either `listingId` (a buyer contacts the listing's agent) or `memberIds` (a group room), not both. */
export const RoomCreate = commandSchema({
  listingId: Type.Optional(Id),
  memberIds: Type.Optional(Type.Array(Id, { maxItems: MAX_NEW_ROOM_MEMBERS })),
  title: Type.Optional(StringOrNull())
})

export default defineCommand({
  schema: RoomCreate,
  answer: Answers.room_create,
  requiresAuth: true,
  failures: ['INVALID_FORMAT', 'MISSING_FIELDS', 'FORBIDDEN', 'USER_NOT_FOUND'],
  async handler (input, { app, conn, fail, session }) {
    const callerId = session.userId
    if (input.listingId !== undefined && input.memberIds !== undefined) {
      fail('INVALID_FORMAT', [{ path: '/memberIds', message: 'must not be given together with listingId' }])
    }
    if (input.listingId !== undefined) {
      const opened = await openListingRoom(app.db, idString(input.listingId), callerId)
      // An existing room is only answered, not announced again, unless its buyer came back to it.
      if (opened.created) await publishRoomCreated(app.publisher, opened.room, conn.id)
      if (opened.rejoined) await publishMemberAdded(app.publisher, opened.room, callerId, callerId, conn.id)
      return { room: opened.room }
    }
    if (input.memberIds === undefined) {
      return fail('MISSING_FIELDS', [{ path: '/listingId', message: 'is required (or memberIds)' }])
    }
    const title = input.title === undefined || input.title === null || input.title.trim() === '' ? null : input.title.trim()
    const errors: FieldError[] = []
    if (title !== null) checkText('/title', title, MAX_ROOM_TITLE_CHARS, errors)
    if (errors.length > 0) fail('INVALID_FORMAT', errors)
    const ids = input.memberIds.map(idString)
    await requireUsers(app.db, ids, (index) => `/memberIds/${index}`)
    const others = [...new Set(ids)].filter((id) => id !== callerId)
    const room = await createGroupRoom(app.db, callerId, others, title)
    await publishRoomCreated(app.publisher, room, conn.id)
    return { room }
  }
})
