import type { CommandDefinition } from './types.js'
import userLogin from './user_login.js'
import userMessage from './user_message.js'

/** The handler table: command name → schema, handler and whether it needs a logged-in socket. */
export const commands: Record<string, CommandDefinition> = {
  user_login: userLogin as unknown as CommandDefinition,
  user_message: userMessage as unknown as CommandDefinition
}
