import { commandSchema } from '../protocol/envelope.js'
import { CloseCodes } from '../protocol/close-codes.js'
import { defineCommand } from './types.js'

export const UserLogout = commandSchema({})

export default defineCommand({
  schema: UserLogout,
  requiresAuth: true,
  async handler (_input, { app, conn }) {
    app.log.info({ userId: conn.session?.userId, uuid: conn.session?.uuid, connectionId: conn.id }, 'logout')
    // Whatever the client sent after the logout is already queued: none of it may run.
    conn.runsCommands = false
    // Queued behind this command, so the close frame follows the success answer on the wire; the usual
    // close handling then forgets the session.
    void conn.enqueue(async () => { conn.close(CloseCodes.LOGOUT, 'Logout') })
    return {}
  }
})
