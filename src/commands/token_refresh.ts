import { Type } from '@sinclair/typebox'
import { commandSchema, isoTime } from '../protocol/envelope.js'
import { scheduleExpiry } from '../sessions/lifecycle.js'
import { findUser } from '../chat/users.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const TokenRefresh = commandSchema({
  // Any string: a garbled token is an "Invalid token", as at login.
  token: Type.String({ maxLength: 8192 })
})

/** Moves the session's expiry to the new token's `exp`; the token must speak for the same user. */
export default defineCommand({
  schema: TokenRefresh,
  answer: Answers.token_refresh,
  requiresAuth: true,
  failures: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'FORBIDDEN', 'USER_NOT_FOUND', 'ACCOUNT_INACTIVE'],
  async handler (input, { app, conn, fail, session }) {
    const token = app.verifyToken(input.token)
    if (token.userId !== session.userId) fail('FORBIDDEN')
    // A banned or deactivated user gets no longer session (the status check closes the socket soon).
    const user = await findUser(app.db, session.userId)
    if (user === undefined) return fail('USER_NOT_FOUND')
    if (user.status !== 'ACTIVE') fail('ACCOUNT_INACTIVE')
    session.expiresAt = token.expiresAt
    scheduleExpiry(app, conn)
    app.log.info({ userId: session.userId, uuid: session.uuid, connectionId: conn.id }, 'token refreshed')
    return { expiresAt: isoTime(new Date(token.expiresAt)) }
  }
})
