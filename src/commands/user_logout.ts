import { commandSchema } from '../protocol/envelope.js'
import { CloseCodes } from '../protocol/close-codes.js'
import { unregisterDevice } from '../chat/push-registrations.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const UserLogout = commandSchema({})

export default defineCommand({
  schema: UserLogout,
  answer: Answers.user_logout,
  requiresAuth: true,
  failures: [],
  async handler (_input, { app, conn, session }) {
    const { userId, uuid } = session
    app.log.info({ userId, uuid, connectionId: conn.id }, 'logout')
    // Whatever the client sent after the logout is already queued: none of it may run.
    conn.runsCommands = false
    // A device that logged out gets no more pushes (for whoever uses it next).
    await unregisterDevice(app.db, userId, uuid)
    // Queued behind this command, so the close frame follows the success answer on the wire; the usual
    // close handling then forgets the session.
    void conn.enqueue(async () => { conn.close(CloseCodes.LOGOUT, 'Logout') })
    return {}
  }
})
