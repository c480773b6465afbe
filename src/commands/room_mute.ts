import { Type } from '@sinclair/typebox'
import { muteRoom } from '../chat/room-mute.js'
import { commandSchema, Id, idString, isoTime } from '../protocol/envelope.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const RoomMute = commandSchema({
  roomId: Id,
  /** ISO time; absent = until unmuted; null = unmute. */
  until: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 40 }), Type.Null()], { errorMessage: 'must be a time (ISO 8601) or null' }))
})

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/

/** Whether the date names a day of its month: JavaScript reads 2024-02-30 as 1 March instead of refusing it. */
function realDay (time: string): boolean {
  const [year, month, day] = time.slice(0, 10).split('-').map(Number) as [number, number, number]
  // setUTCFullYear, not Date.UTC: that one reads years 0-99 as 1900-1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return date.getUTCDate() === day
}

/** Mutes a room's pushes for the caller; answers `muted` and `mutedUntil` (null when muted until unmuted, or not muted). */
export default defineCommand({
  schema: RoomMute,
  answer: Answers.room_mute,
  requiresAuth: true,
  failures: ['INVALID_FORMAT', 'ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
  async handler (input, { app, fail, session }) {
    let until: Date | 'until-unmuted' | null = 'until-unmuted'
    if (typeof input.until === 'string') {
      const parsed = ISO_TIME.test(input.until) && realDay(input.until) ? new Date(input.until) : undefined
      if (parsed === undefined || Number.isNaN(parsed.getTime())) return fail('INVALID_FORMAT', [{ path: '/until', message: 'Expected an ISO 8601 time' }])
      until = parsed
    } else if (input.until === null) {
      until = null
    }
    const state = await muteRoom(app.db, idString(input.roomId), session.userId, until)
    return { roomId: idString(input.roomId), muted: state.muted, mutedUntil: state.until === null ? null : isoTime(state.until) }
  }
})
