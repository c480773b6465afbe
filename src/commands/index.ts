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
import pushRegister from './push_register.js'
import pushUnregister from './push_unregister.js'
import roomFocus from './room_focus.js'
import roomMute from './room_mute.js'
import roomAddMember from './room_add_member.js'
import roomCreate from './room_create.js'
import roomLeave from './room_leave.js'
import roomRemoveMember from './room_remove_member.js'
import userLogin from './user_login.js'
import userLogout from './user_logout.js'
import userMessage from './user_message.js'

/** The handler table: command name → schema, handler and whether it needs a logged-in socket. */
export const commands: Record<string, CommandDefinition> = {
  user_login: userLogin,
  user_message: userMessage,
  ping: ping,
  user_logout: userLogout,
  token_refresh: tokenRefresh,
  room_history: roomHistory,
  sync: sync,
  room_list: roomList,
  message_read: messageRead,
  typing: typing,
  message_edit: messageEdit,
  message_delete: messageDelete,
  room_create: roomCreate,
  room_add_member: roomAddMember,
  room_remove_member: roomRemoveMember,
  room_leave: roomLeave,
  presence_query: presenceQuery,
  push_register: pushRegister,
  push_unregister: pushUnregister,
  room_mute: roomMute,
  room_focus: roomFocus
}
