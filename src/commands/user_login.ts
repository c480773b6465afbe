import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { findUser, toLoginUser, toSenderProfile } from '../chat/users.js'
import { startSession } from '../sessions/lifecycle.js'
import { Answers } from '../protocol/events.js'
import { CloseCodes } from '../protocol/close-codes.js'
import { defineCommand } from './types.js'

export const UserLogin = commandSchema({
  userId: Id,
  // Any string: an empty or garbled token is an "Invalid token", not a format error.
  token: Type.String({ maxLength: 8192 }),
  uuid: Type.String({ minLength: 1, maxLength: 128 })
})

/** Failed logins one socket may make before it is closed (password-guessing by token). */
export const MAX_FAILED_LOGINS = 5

export default defineCommand({
  schema: UserLogin,
  answer: Answers.user_login,
  requiresAuth: false,
  failures: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'FORBIDDEN', 'USER_NOT_FOUND', 'ACCOUNT_INACTIVE'],
  // A failed login costs one more frame of the budget, and the fifth closes the socket.
  afterAnswer ({ failure }, { app, conn, log }) {
    app.metrics.logins.inc(failure ?? 'success')
    if (failure === undefined || failure === 'RATE_LIMITED') return
    log.info({ connectionId: conn.id, code: failure }, 'login failed')
    conn.budget.charge(1)
    if (++conn.failedLogins >= MAX_FAILED_LOGINS) conn.close(CloseCodes.FLOODING, 'Too many failed logins')
  },
  async handler (input, { app, conn, fail }) {
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
