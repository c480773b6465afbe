import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { changesSince } from '../chat/history.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const Sync = commandSchema({
  // A syncToken from an earlier answer or event; "0" for everything.
  since: Id
})

export default defineCommand({
  schema: Sync,
  answer: Answers.sync,
  requiresAuth: true,
  failures: [],
  async handler (input, { app, session }) {
    return { ...await changesSince(app.db, session.userId, idString(input.since), app.mediaLinks) }
  }
})
