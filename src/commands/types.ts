import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Static, TSchema } from '@sinclair/typebox'
import type { Connection, SessionInfo } from '../sessions/connection.js'
import type { FrameDefinition, FrameFields } from '../protocol/events.js'
import type { FailureCode } from '../protocol/errors.js'

export interface CommandContext {
  app: FastifyInstance
  conn: Connection
  log: FastifyBaseLogger
  /**
   * Lets the socket's next pipelined command start before this one has finished (see
   * Connection.enqueue); a command that answers after calling it answers through its own callback.
   */
  release: () => void
  /** A command that answered through its own callback tells how it ended (metrics count it). */
  reportFailure: (code: FailureCode) => void
  /** The socket's session when the command started, if it had logged in. */
  session: SessionInfo | undefined
}

/** What a `requiresAuth` command's handler gets: the dispatcher only runs it on a logged-in socket. */
export interface SessionContext extends CommandContext {
  session: SessionInfo
}

/** How one frame of a command ended, for the command's `afterAnswer`. */
export interface CommandOutcome {
  failure?: FailureCode | undefined
}

/** What every command declares besides its handler. */
interface CommandShape<S extends TSchema, A extends FrameDefinition> {
  schema: S
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

export interface CommandDefinition<S extends TSchema = TSchema, A extends FrameDefinition = FrameDefinition> extends CommandShape<S, A> {
  /** False only for the commands a socket may send before logging in. */
  requiresAuth: boolean
  /** Resolves to the answer's fields, or to nothing (fire-and-forget, or answered through its own callback). */
  handler: (input: Static<S>, ctx: CommandContext) => Promise<FrameFields<A> | undefined>
}

type Handler<S extends TSchema, A extends FrameDefinition, C> = (input: Static<S>, ctx: C) => Promise<FrameFields<A> | undefined>

/**
 * Types a command's handler by its schema and answer (a `requiresAuth` handler gets the session), then
 * erases the types so the handler table can hold any command.
 */
export function defineCommand<S extends TSchema, A extends FrameDefinition = FrameDefinition> (definition: CommandShape<S, A> & { requiresAuth: true, handler: Handler<S, A, SessionContext> }): CommandDefinition
export function defineCommand<S extends TSchema, A extends FrameDefinition = FrameDefinition> (definition: CommandShape<S, A> & { requiresAuth: false, handler: Handler<S, A, CommandContext> }): CommandDefinition
export function defineCommand (definition: { requiresAuth: boolean, handler: (input: never, ctx: never) => Promise<unknown> }): CommandDefinition {
  return definition as unknown as CommandDefinition
}
