import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { fail } from '../protocol/errors.js'
import { findUser, toLoginUser, toSenderProfile } from '../chat/users.js'
import { startSession } from '../sessions/lifecycle.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const UserLogin = commandSchema({
  userId: Id,
  // Any string: an empty or garbled token is an "Invalid token", not a format error.
  token: Type.String({ maxLength: 8192 }),
  uuid: Type.String({ minLength: 1, maxLength: 128 })
})

export default defineCommand({
  schema: UserLogin,
  answer: Answers.user_login,
  requiresAuth: false,
  async handler (input, { app, conn }) {
    const token = app.verifyToken(input.token)
    if (token.userId !== idString(input.userId)) fail('INVALID_TOKEN')
    // A second login on an authenticated socket refreshes the same user's token; it never switches users.
    if (conn.session !== undefined && conn.session.userId !== token.userId) fail('FORBIDDEN')
    const user = await findUser(app.db, token.userId)
    if (user === undefined) return fail('USER_NOT_FOUND')
    if (user.status !== 'ACTIVE') fail('ACCOUNT_INACTIVE')
    await startSession(app, conn, { userId: user.id, uuid: input.uuid, profile: toSenderProfile(user), expiresAt: token.expiresAt })
    // What may be uploaded, so that a client can refuse a file before sending it (docs/uploads.md).
    return { user: toLoginUser(user), uploads: app.attachments.clientConfig }
  }
})
