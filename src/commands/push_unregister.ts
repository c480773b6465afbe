import { unregisterDevice } from '../chat/push-registrations.js'
import { commandSchema } from '../protocol/envelope.js'
import { defineCommand } from './types.js'

export const PushUnregister = commandSchema({})

/** Removes this device's push registration (answered success whether or not there was one). */
export default defineCommand({
  schema: PushUnregister,
  requiresAuth: true,
  async handler (_input, { app, conn }) {
    const { userId, uuid } = conn.session!
    await unregisterDevice(app.db, userId, uuid)
    return {}
  }
})
