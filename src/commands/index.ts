import type { CommandDefinition } from './types.js'
import messageDelete from './message_delete.js'
import messageEdit from './message_edit.js'
import messageRead from './message_read.js'
import ping from './ping.js'
import roomHistory from './room_history.js'
import roomList from './room_list.js'
import sync from './sync.js'
import tokenRefresh from './token_refresh.js'
import typing from './typing.js'
import presenceQuery from './presence_query.js'
import roomAddMember from './room_add_member.js'
import roomCreate from './room_create.js'
import roomLeave from './room_leave.js'
import roomRemoveMember from './room_remove_member.js'
import userLogin from './user_login.js'
import userLogout from './user_logout.js'
import userMessage from './user_message.js'

/** The handler table: command name → schema, handler and whether it needs a logged-in socket. */
export const commands: Record<string, CommandDefinition> = {
  user_login: userLogin as unknown as CommandDefinition,
  user_message: userMessage as unknown as CommandDefinition,
  ping: ping as unknown as CommandDefinition,
  user_logout: userLogout as unknown as CommandDefinition,
  token_refresh: tokenRefresh as unknown as CommandDefinition,
  room_history: roomHistory as unknown as CommandDefinition,
  sync: sync as unknown as CommandDefinition,
  room_list: roomList as unknown as CommandDefinition,
  message_read: messageRead as unknown as CommandDefinition,
  typing: typing as unknown as CommandDefinition,
  message_edit: messageEdit as unknown as CommandDefinition,
  message_delete: messageDelete as unknown as CommandDefinition,
  room_create: roomCreate as unknown as CommandDefinition,
  room_add_member: roomAddMember as unknown as CommandDefinition,
  room_remove_member: roomRemoveMember as unknown as CommandDefinition,
  room_leave: roomLeave as unknown as CommandDefinition,
  presence_query: presenceQuery as unknown as CommandDefinition
}
