import { unregisterDevice } from '../chat/push-registrations.js'
import { commandSchema } from '../protocol/envelope.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const PushUnregister = commandSchema({})

/** Removes this device's push registration (answered success whether or not there was one). */
export default defineCommand({
  schema: PushUnregister,
  answer: Answers.push_unregister,
  requiresAuth: true,
  failures: [],
  async handler (_input, { app, session }) {
    const { userId, uuid } = session
    await unregisterDevice(app.db, userId, uuid)
    return {}
  }
})
