import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { presenceOf, roomPeers } from '../chat/presence.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const MAX_PRESENCE_QUERY = 100

export const PresenceQuery = commandSchema({
  userIds: Type.Array(Id, { maxItems: MAX_PRESENCE_QUERY })
})

export default defineCommand({
  schema: PresenceQuery,
  answer: Answers.presence_query,
  requiresAuth: true,
  failures: [],
  async handler (input, { app, session }) {
    const callerId = session.userId
    const asked = [...new Set(input.userIds.map(idString))]
    // Users sharing no room with the caller are left out without a word: their existence is not revealed.
    const visible = new Set(await roomPeers(app.db, callerId, asked.filter((id) => id !== callerId)))
    visible.add(callerId)
    return { presence: await presenceOf(app.db, app.presence.source, asked.filter((id) => visible.has(id))) }
  }
})
