import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import { Failures, type FailureCode, type FieldError } from './errors.js'

/**
 * The one shape of every HTTP error answer: the socket protocol's failure (`reason` and `code` from
 * the same table), with the field problems or the errorId where there are some.
 */
export const HttpFailure = Type.Object({
  result: Type.Literal('failed'),
  reason: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  errorId: Type.Optional(Type.String())
}, { description: 'An HTTP error: the protocol\'s reason and code' })

export const httpFailureBody = (code: FailureCode, extra: { errors?: FieldError[] | undefined, errorId?: string | undefined } = {}) => ({
  result: 'failed' as const,
  reason: Failures[code],
  code,
  ...(extra.errors !== undefined && { errors: extra.errors }),
  ...(extra.errorId !== undefined && { errorId: extra.errorId })
})

export const sendHttpFailure = (reply: FastifyReply, status: number, code: FailureCode, errors?: FieldError[]) =>
  reply.code(status).send(httpFailureBody(code, { errors }))
