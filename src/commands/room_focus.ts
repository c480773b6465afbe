import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { defineCommand } from './types.js'

export const RoomFocus = commandSchema({
  roomId: Type.Union([Id, Type.Null()], { errorMessage: 'must be an integer id, a string of digits, or null' })
})

/**
 * Fire-and-forget: the room this device shows in the foreground, or none. While a device shows a room,
 * its user gets no push for that room's messages. Not checked against membership: a room the user is not
 * in has no pushes for them anyway, and the answerless command costs no database read.
 */
export default defineCommand({
  schema: RoomFocus,
  requiresAuth: true,
  failures: [],
  async handler (input, { app, session }) {
    const { userId, uuid } = session
    // Kept by the presence source, so that a push worker on any node can ask.
    app.presenceSource.focus({ userId, uuid }, input.roomId === null ? null : idString(input.roomId))
    return undefined
  }
})
