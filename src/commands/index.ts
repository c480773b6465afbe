import type { CommandDefinition } from './types.js'
import presenceQuery from './presence_query.js'
import roomAddMember from './room_add_member.js'
import roomCreate from './room_create.js'
import roomLeave from './room_leave.js'
import roomRemoveMember from './room_remove_member.js'
import userLogin from './user_login.js'
import userMessage from './user_message.js'

/** The handler table: command name → schema, handler and whether it needs a logged-in socket. */
export const commands: Record<string, CommandDefinition> = {
  user_login: userLogin as unknown as CommandDefinition,
  user_message: userMessage as unknown as CommandDefinition,
  room_create: roomCreate as unknown as CommandDefinition,
  room_add_member: roomAddMember as unknown as CommandDefinition,
  room_remove_member: roomRemoveMember as unknown as CommandDefinition,
  room_leave: roomLeave as unknown as CommandDefinition,
  presence_query: presenceQuery as unknown as CommandDefinition
}
