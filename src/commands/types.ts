import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Static, TSchema } from '@sinclair/typebox'
import type { Connection } from '../sessions/connection.js'

export interface CommandContext {
  app: FastifyInstance
  conn: Connection
  log: FastifyBaseLogger
  /**
   * Lets the socket's next pipelined command start before this one has finished (see
   * Connection.enqueue); a command that answers after calling it answers through its own callback.
   */
  release: () => void
}

/**
 * What a handler answers: fields added to `{command, result: "success", requestId}`, a whole frame of
 * its own (`{command: "pong", ...}`: it carries `command`), or nothing for fire-and-forget commands.
 */
export type CommandAnswer = Record<string, unknown> | undefined

export interface CommandDefinition<S extends TSchema = TSchema> {
  schema: S
  /** False only for the commands a socket may send before logging in. */
  requiresAuth: boolean
  /**
   * The socket's next frame may start once this command calls `release` (Connection.enqueue); the
   * command then answers through its own callback, in order.
   */
  pipelined?: boolean
  handler: (input: Static<S>, ctx: CommandContext) => Promise<CommandAnswer>
}

/** Types a command's handler by its schema, then erases the type so the handler table can hold any command. */
export const defineCommand = <S extends TSchema>(definition: CommandDefinition<S>): CommandDefinition =>
  definition as unknown as CommandDefinition
