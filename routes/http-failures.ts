import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { findUser } from '../src/chat/users.js'
import { CommandFailure, type FailureCode, type FieldError } from '../src/protocol/errors.js'
import { failureBody } from '../src/protocol/answers.js'

/** The failure body of the HTTP routes: the socket's `result`, `reason` and `code`, and what else applies. */
export const Failure = Type.Object({
  result: Type.Literal('failed'),
  reason: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() })))
}, { additionalProperties: true })

const STATUS: Partial<Record<FailureCode, number>> = {
  INVALID_FORMAT: 400,
  MISSING_FIELDS: 400,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  USER_NOT_FOUND: 401,
  ACCOUNT_INACTIVE: 403,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  ATTACHMENT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  FILE_TOO_LARGE: 413,
  UNSUPPORTED_TYPE: 415,
  DIRECT_UPLOADS_OFF: 501,
  UNAVAILABLE: 503
}

export const sendFailure = (reply: FastifyReply, code: FailureCode, extra: { errors?: FieldError[] | undefined, [key: string]: unknown } = {}, status = STATUS[code] ?? 500) =>
  // A media answer may have set the file's type before it found it could not serve it.
  reply.code(status).type('application/json; charset=utf-8').send(failureBody(code, extra))

/** The bearer token of a request, if it has one. */
export const bearerToken = (request: FastifyRequest): string | undefined =>
  /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1]

/**
 * The active user a request's bearer token speaks for, verified as the socket's login is; fails with the
 * socket's reasons (Invalid token, Token expired, User not found, Account is not active).
 */
export async function bearerUser (app: FastifyInstance, request: FastifyRequest): Promise<string> {
  const token = bearerToken(request)
  if (token === undefined) throw new CommandFailure('INVALID_TOKEN')
  const { userId } = app.verifyToken(token)
  const user = await findUser(app.db, userId)
  if (user === undefined) throw new CommandFailure('USER_NOT_FOUND')
  if (user.status !== 'ACTIVE') throw new CommandFailure('ACCOUNT_INACTIVE')
  return user.id
}
