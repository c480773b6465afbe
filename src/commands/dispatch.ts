import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType } from '@sinclair/typebox/errors'
import type { TSchema } from '@sinclair/typebox'
import type { Connection } from '../sessions/connection.js'
import { isTransientDbError } from '../db/errors.js'
import { CommandFailure, Failures, fail as refuse, type FailureCode, type FieldError } from '../protocol/errors.js'
import { failureFrame, successFrame } from '../protocol/answers.js'
import { readFrame, type RawData } from '../protocol/frames.js'
import { compileTextCheck } from '../protocol/text.js'
import type { CommandDefinition, DispatcherFailure } from './types.js'

/** At most this many field problems are listed in `errors`. */
const MAX_LISTED_ERRORS = 10

interface CompiledCommand {
  definition: CommandDefinition
  check: TypeCheck<TSchema>
  unstorable: (value: unknown) => readonly FieldError[]
}

export interface FrameOutcome {
  /** The answer to send back, if the command has one. */
  answer?: string
  command?: string
  failure?: FailureCode
}

const noop = () => {}

const isRequestId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 64

/**
 * Turns one incoming frame into one answer: parse → envelope → handler table → auth → compiled schema
 * → handler. Every failure becomes the protocol's answer; nothing thrown escapes.
 */
export function createDispatcher (app: FastifyInstance, table: Record<string, CommandDefinition>) {
  // Validators are compiled once, at start-up.
  const compiled = new Map<string, CompiledCommand>()
  for (const [name, definition] of Object.entries(table)) {
    compiled.set(name, { definition, check: TypeCompiler.Compile(definition.schema), unstorable: compileTextCheck(definition.schema) })
  }

  /**
   * Answers one frame already read with `readFrame`. `refused` (over the rate limit) answers
   * "Rate limit exceeded", echoing what it can, without running anything.
   */
  async function answerFrame (conn: Connection, frame: unknown, refused = false, release: () => void = noop): Promise<FrameOutcome> {
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      const code = refused ? 'RATE_LIMITED' : 'INVALID_FORMAT'
      return { answer: failureFrame(undefined, code, undefined), failure: code }
    }
    const request = frame as Record<string, unknown>
    const requestId = isRequestId(request.requestId) ? request.requestId : undefined
    const name = request.command
    if (typeof name !== 'string') {
      const code = refused ? 'RATE_LIMITED' : 'INVALID_FORMAT'
      return { answer: failureFrame(undefined, code, requestId), failure: code }
    }
    const entry = compiled.get(name)
    const fail = (code: FailureCode, errors?: FieldError[]) => failedOutcome(name, code, requestId, errors)
    if (refused) return fail('RATE_LIMITED')
    if (entry === undefined) return fail('UNKNOWN_COMMAND')
    if (entry.definition.requiresAuth && conn.session === undefined) return fail('NOT_AUTHENTICATED')
    if (app.sessions.closing) return fail('UNAVAILABLE')
    if (!entry.check.Check(request)) {
      const { code, errors } = describeErrors(entry.check, request)
      return fail(code, errors)
    }
    // Text of any field may reach the database, which cannot hold U+0000 or lone surrogates.
    const unstorable = entry.unstorable(request)
    if (unstorable.length > 0) return fail('INVALID_FORMAT', unstorable.slice(0, MAX_LISTED_ERRORS))
    try {
      let failure: FailureCode | undefined
      const reportFailure = (code: FailureCode) => { failure = code }
      const body = await entry.definition.handler(request, { app, conn, log: app.log, release, reportFailure, fail: refuse, session: conn.session })
      const answer = entry.definition.answer
      return { command: name, ...(failure !== undefined && { failure }), ...(body !== undefined && answer !== undefined && { answer: successFrame(answer, requestId, body) }) }
    } catch (error) {
      return answerError(app, conn, name, requestId, error)
    }
  }

  /** Reads and answers one raw frame; nothing thrown escapes. */
  const dispatch = (conn: Connection, data: RawData, isBinary: boolean): Promise<FrameOutcome> =>
    answerFrame(conn, readFrame(data, isBinary))
  return Object.assign(dispatch, { answerFrame })
}

/**
 * The failures the dispatcher itself may answer to `definition`, whatever its handler does, read from the
 * definition: MISSING_FIELDS when its schema requires a field, NOT_AUTHENTICATED when it needs a login,
 * RATE_LIMITED unless its frames over the budget are dropped unanswered (`budget: 'quiet'`).
 */
export function dispatcherFailures (definition: CommandDefinition): DispatcherFailure[] {
  const required = ((definition.schema as { required?: string[] }).required ?? []).filter((field) => field !== 'command')
  return [
    'INVALID_FORMAT',
    ...(required.length > 0 ? ['MISSING_FIELDS' as const] : []),
    ...(definition.requiresAuth ? ['NOT_AUTHENTICATED' as const] : []),
    ...(definition.budget === 'quiet' ? [] : ['RATE_LIMITED' as const]),
    'UNAVAILABLE',
    'INTERNAL'
  ]
}

/** Every failure `definition` may be answered with, the dispatcher's and the handler's own, in the order of the failure table. */
export function commandFailures (definition: CommandDefinition): FailureCode[] {
  const codes = new Set<FailureCode>([...dispatcherFailures(definition), ...definition.failures])
  return (Object.keys(Failures) as FailureCode[]).filter((code) => codes.has(code))
}

/**
 * The answer to a command that threw: its own failure, "Server is busy" when the database is out of
 * reach, or "Internal server error" with an `errorId` that the log also holds.
 */
export function answerError (app: FastifyInstance, conn: Connection, name: string, requestId: string | undefined, error: unknown): FrameOutcome {
  if (error instanceof CommandFailure) return failedOutcome(name, error.code, requestId, error.errors)
  if (isTransientDbError(error)) {
    app.log.warn({ err: error, command: name, connectionId: conn.id }, 'database unavailable')
    return failedOutcome(name, 'UNAVAILABLE', requestId)
  }
  const errorId = randomUUID()
  app.log.error({ err: error, errorId, command: name, connectionId: conn.id }, 'command failed unexpectedly')
  return failedOutcome(name, 'INTERNAL', requestId, undefined, errorId)
}

const failedOutcome = (name: string, code: FailureCode, requestId: string | undefined, errors?: FieldError[], errorId?: string): FrameOutcome =>
  ({ answer: failureFrame(name, code, requestId, { errors, errorId }), command: name, failure: code })

/** Lists what is wrong, one entry per field; a missing required field makes it MISSING_FIELDS. */
export function describeErrors (check: TypeCheck<TSchema>, value: unknown): { code: FailureCode, errors: FieldError[] } {
  const byPath = new Map<string, { message: string, missing: boolean }>()
  let count = 0
  for (const error of check.Errors(value)) {
    if (++count > 100) break
    const missing = error.type === ValueErrorType.ObjectRequiredProperty
    const known = byPath.get(error.path)
    // The schema's own description of a valid value, where it has one ("must be one of TEXT, IMAGE, …").
    const message = (error.schema as { errorMessage?: unknown }).errorMessage
    if (known === undefined) byPath.set(error.path, { message: missing ? 'is required' : typeof message === 'string' ? message : error.message, missing })
    else if (missing && !known.missing) byPath.set(error.path, { message: 'is required', missing })
  }
  const all = [...byPath].map(([path, { message, missing }]) => ({ path, message, missing }))
  const missing = all.filter((entry) => entry.missing)
  const listed = (missing.length > 0 ? missing : all).slice(0, MAX_LISTED_ERRORS).map(({ path, message }) => ({ path, message }))
  return { code: missing.length > 0 ? 'MISSING_FIELDS' : 'INVALID_FORMAT', errors: listed }
}
