import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Static, TSchema } from '@sinclair/typebox'
import type { Connection } from '../sessions/connection.js'
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
}

export interface CommandDefinition<S extends TSchema = TSchema, A extends FrameDefinition = FrameDefinition> {
  schema: S
  /**
   * The success answer's entry in the event table (src/protocol/events.ts); absent for fire-and-forget
   * commands, which answer only when they fail.
   */
  answer?: A
  /** False only for the commands a socket may send before logging in. */
  requiresAuth: boolean
  /**
   * The socket's next frame may start once this command calls `release` (Connection.enqueue); the
   * command then answers through its own callback, in order.
   */
  pipelined?: boolean
  /** Resolves to the answer's fields, or to nothing (fire-and-forget, or answered through its own callback). */
  handler: (input: Static<S>, ctx: CommandContext) => Promise<FrameFields<A> | undefined>
}

/** Types a command's handler by its schema, then erases the type so the handler table can hold any command. */
export const defineCommand = <S extends TSchema, A extends FrameDefinition = FrameDefinition>(definition: CommandDefinition<S, A>): CommandDefinition =>
  definition as unknown as CommandDefinition
