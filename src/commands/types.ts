import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Static, TSchema } from '@sinclair/typebox'
import type { Connection, SessionInfo } from '../sessions/connection.js'
import type { FrameDefinition, FrameFields } from '../protocol/events.js'
import type { FailureCode, FieldError } from '../protocol/errors.js'

/**
 * The failures the dispatcher may answer to a command whatever its handler does (src/commands/dispatch.ts):
 * a frame its schema refuses, no login, over the rate limit, the server closing or its database out of
 * reach, a bug. Which of them apply to one command, its definition tells (dispatcherFailures).
 */
export type DispatcherFailure = 'INVALID_FORMAT' | 'MISSING_FIELDS' | 'NOT_AUTHENTICATED' | 'RATE_LIMITED' | 'UNAVAILABLE' | 'INTERNAL'

/** What may go wrong in any handler without its deciding so: the database out of reach, a bug. */
export type UnplannedFailure = 'UNAVAILABLE' | 'INTERNAL'

export interface CommandContext<F extends FailureCode = FailureCode> {
  app: FastifyInstance
  conn: Connection
  log: FastifyBaseLogger
  /**
   * Lets the socket's next pipelined command start before this one has finished (see
   * Connection.enqueue); a command that answers after calling it answers through its own callback.
   */
  release: () => void
  /** A command that answered through its own callback tells how it ended (metrics count it). */
  reportFailure: (code: F | UnplannedFailure) => void
  /** Refuses the command with one of the failures its definition declares (throws a CommandFailure). */
  fail: (code: F, errors?: FieldError[]) => never
  /** The socket's session when the command started, if it had logged in. */
  session: SessionInfo | undefined
}

/** What a `requiresAuth` command's handler gets: the dispatcher only runs it on a logged-in socket. */
export interface SessionContext<F extends FailureCode = FailureCode> extends CommandContext<F> {
  session: SessionInfo
}

/** How one frame of a command ended, for the command's `afterAnswer`. */
export interface CommandOutcome {
  failure?: FailureCode | undefined
}

/** What every command declares besides its handler. */
interface CommandShape<S extends TSchema, A extends FrameDefinition, F extends FailureCode = FailureCode> {
  schema: S
  /**
   * The handler's own refusals: every code it, or what it calls, answers on purpose (field checks of its
   * own included). The dispatcher's failures come on top (dispatcherFailures); the AsyncAPI document lists
   * both per command, and the property tests hold every answer to them.
   */
  failures: readonly F[]
  /**
   * The success answer's entry in the event table (src/protocol/events.ts); absent for fire-and-forget
   * commands, which answer only when they fail.
   */
  answer?: A
  /**
   * The socket's next frame may start once this command calls `release` (Connection.enqueue); the
   * command then answers through its own callback, in order.
   */
  pipelined?: boolean
  /**
   * How the socket's command budget counts it: `quiet` spends a bucket of its own, and a frame over it
   * is dropped without an answer (a typing indicator is best-effort). Absent: the common budget.
   */
  budget?: 'quiet'
  /**
   * Runs after each frame of this command was answered, refusals before the handler included (a failed
   * login's extra cost, its count).
   */
  afterAnswer?: (outcome: CommandOutcome, ctx: Pick<CommandContext, 'app' | 'conn' | 'log'>) => void
}

export interface CommandDefinition<S extends TSchema = TSchema, A extends FrameDefinition = FrameDefinition> extends CommandShape<S, A, FailureCode> {
  /** False only for the commands a socket may send before logging in. */
  requiresAuth: boolean
  /** Resolves to the answer's fields, or to nothing (fire-and-forget, or answered through its own callback). */
  handler: (input: Static<S>, ctx: CommandContext) => Promise<FrameFields<A> | undefined>
}

type Handler<S extends TSchema, A extends FrameDefinition, C> = (input: Static<S>, ctx: C) => Promise<FrameFields<A> | undefined>

/**
 * Types a command's handler by its schema, answer and declared failures (a `requiresAuth` handler gets the
 * session; its `fail` takes only the declared codes), then erases the types so the handler table can hold
 * any command.
 */
export function defineCommand<S extends TSchema, A extends FrameDefinition = FrameDefinition, const F extends FailureCode = never> (definition: CommandShape<S, A, F> & { requiresAuth: true, handler: Handler<S, A, SessionContext<F>> }): CommandDefinition
export function defineCommand<S extends TSchema, A extends FrameDefinition = FrameDefinition, const F extends FailureCode = never> (definition: CommandShape<S, A, F> & { requiresAuth: false, handler: Handler<S, A, CommandContext<F>> }): CommandDefinition
export function defineCommand (definition: { requiresAuth: boolean, handler: (input: never, ctx: never) => Promise<unknown> }): CommandDefinition {
  return definition as unknown as CommandDefinition
}
