import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox'
import { Failures, type FailureCode } from './errors.js'
import { RequestId } from './envelope.js'
import {
  FieldErrorShape, IdText, LoginUserShape, Nullable, PresenceShape, RoomHeaderShape, RoomListEntryShape,
  RoomViewShape, SyncToken, Timestamp, UploadConfigShape, WireMessageShape
} from './wire-types.js'

/**
 * The event table: every frame the server sends, beside the command table. Each entry names the frame,
 * says what it is for and holds its TypeBox schema (the whole frame, `command` included); `buildFrame`
 * is the only way a frame is made, and the suites check every frame a socket receives against its entry.
 * The protocol document (docs/protocol.md) and a generated AsyncAPI document read the same table.
 */
export interface FrameDefinition<S extends TObject = TObject> {
  /** Unique in the table: an event's name, `<command>.success` for an answer, `pong`, `failed`. */
  readonly name: string
  /** `answer`: the direct answer to a command (echoes `requestId`); `event`: something that happened. */
  readonly kind: 'answer' | 'event'
  /** The `command` the frame carries; absent for a failure, which carries the command it answers, if any. */
  readonly command?: string
  /** For answers: the command answered. */
  readonly answers?: string
  /** `result` the frame carries (answers other than `pong`). */
  readonly result?: 'success' | 'failed'
  readonly schema: S
  readonly description: string
}

const closed = { additionalProperties: false } as const

/** A success answer to `command`: `{command, result: "success", requestId?, ...fields}`. */
function answer<C extends string, P extends TProperties> (command: C, fields: P, description: string) {
  const schema = Type.Object({ command: Type.Literal(command), result: Type.Literal('success'), requestId: Type.Optional(RequestId), ...fields }, closed)
  return { name: `${command}.success`, kind: 'answer', command, answers: command, result: 'success', schema, description } as const
}

/** A pushed event: `{command: <name>, ...fields}`, no `result`. */
function event<C extends string, P extends TProperties> (name: C, fields: P, description: string) {
  const schema = Type.Object({ command: Type.Literal(name), ...fields }, closed)
  return { name, kind: 'event', command: name, schema, description } as const
}

const MessageEvent = {
  message: WireMessageShape,
  room: RoomHeaderShape,
  syncToken: SyncToken
}

const MessageDeletion = { roomId: IdText, messageId: IdText, deletedAt: Timestamp, syncToken: SyncToken }

/** The success answer of each command that has one, by command name. */
export const Answers = {
  user_login: answer('user_login', { user: LoginUserShape, uploads: UploadConfigShape },
    'The login succeeded: the user\'s profile, and what may be uploaded (as GET /uploads/config).'),
  user_message: answer('user_message', MessageEvent,
    'The sender\'s acknowledgement: the message as stored, the same frame the room receives, in the room\'s seq order.'),
  ping: {
    name: 'pong',
    kind: 'answer',
    command: 'pong',
    answers: 'ping',
    schema: Type.Object({ command: Type.Literal('pong'), serverTime: Timestamp, requestId: Type.Optional(RequestId) }, closed),
    description: 'The answer to ping (works before login): the server\'s time.'
  } as const satisfies FrameDefinition,
  user_logout: answer('user_logout', {}, 'Logged out; the server closes the socket with 1000 next.'),
  token_refresh: answer('token_refresh', { expiresAt: Timestamp }, 'The new token is in force until `expiresAt`.'),
  room_history: answer('room_history', { roomId: IdText, messages: Type.Array(WireMessageShape), hasMore: Type.Boolean() },
    'A page of the room\'s messages, ascending by id.'),
  sync: answer('sync', { messages: Type.Array(WireMessageShape), hasMore: Type.Boolean(), syncToken: SyncToken },
    'Every message of the user\'s rooms changed after `since`, in change order.'),
  room_list: answer('room_list', { rooms: Type.Array(RoomListEntryShape), nextCursor: Nullable(Type.String()) },
    'The user\'s current rooms, newest activity first.'),
  message_read: answer('message_read', {}, 'The read marker is where it was asked to be (or further).'),
  message_edit: answer('message_edit', { message: WireMessageShape, syncToken: SyncToken }, 'The edited message.'),
  message_delete: answer('message_delete', MessageDeletion, 'The message is a tombstone now.'),
  room_create: answer('room_create', { room: RoomViewShape }, 'The room created, or the existing room of the listing and buyer.'),
  room_add_member: answer('room_add_member', { room: RoomViewShape }, 'The room after the change.'),
  room_remove_member: answer('room_remove_member', { roomId: IdText, userId: IdText }, 'The user is no longer a member.'),
  room_leave: answer('room_leave', { roomId: IdText }, 'The caller is no longer a member.'),
  presence_query: answer('presence_query', { presence: Type.Array(PresenceShape) }, 'Presence of the users asked who share a room with the caller.'),
  push_register: answer('push_register', {}, 'The device\'s push registration is stored.'),
  push_unregister: answer('push_unregister', {}, 'The device\'s push registration is removed.'),
  room_mute: answer('room_mute', { roomId: IdText, muted: Type.Boolean(), mutedUntil: Nullable(Timestamp) }, 'The room\'s mute state for the caller.')
} as const satisfies Record<string, FrameDefinition>

/** The pushed events, by name. */
export const Events = {
  user_message: event('user_message', MessageEvent, 'A message was stored in one of your rooms.'),
  message_updated: event('message_updated', { message: WireMessageShape, syncToken: SyncToken }, 'A message in one of your rooms was edited.'),
  message_deleted: event('message_deleted', MessageDeletion, 'A message in one of your rooms was deleted.'),
  message_read: event('message_read', { roomId: IdText, userId: IdText, messageId: IdText, readAt: Timestamp },
    'A member (you on another device included) read up to a message.'),
  typing: event('typing', { roomId: IdText, userId: IdText, isTyping: Type.Boolean() }, 'Another member started or stopped typing.'),
  room_created: event('room_created', { room: RoomViewShape }, 'A room you are a member of was created.'),
  room_member_added: event('room_member_added', { roomId: IdText, userId: IdText, addedBy: IdText, room: RoomViewShape },
    'Someone joined one of your rooms, or you were added.'),
  room_member_removed: event('room_member_removed', { roomId: IdText, userId: IdText, removedBy: IdText },
    'Someone left or was removed from one of your rooms, or you were.'),
  presence: event('presence', { userId: IdText, online: Type.Boolean(), lastSeenAt: Nullable(Timestamp) },
    'The first device of someone sharing a room with you logged in, or their last one disconnected.'),
  session_replaced: event('session_replaced', {}, 'Your device logged in on another socket; close 4002 follows.'),
  session_expired: event('session_expired', {}, 'Your token expired; close 4003 follows.'),
  account_disabled: event('account_disabled', {}, 'Your account was banned or deactivated; close 4004 follows.')
} as const satisfies Record<string, FrameDefinition>

const codes = Object.keys(Failures) as FailureCode[]

/** A failed command: the contract's reason and code (`errors` for format failures, `errorId` for INTERNAL). */
export const Failure = {
  name: 'failed',
  kind: 'answer',
  result: 'failed',
  schema: Type.Object({
    command: Type.Optional(Type.String()),
    result: Type.Literal('failed'),
    requestId: Type.Optional(RequestId),
    reason: Type.Union(codes.map((code) => Type.Literal(Failures[code]))),
    code: Type.Union(codes.map((code) => Type.Literal(code))),
    errors: Type.Optional(Type.Array(FieldErrorShape)),
    errorId: Type.Optional(Type.String())
  }, closed),
  description: 'A command failed: `reason` is the contract\'s text, `code` its stable name. A frame that is not a command has no `command`.'
} as const satisfies FrameDefinition

/** The whole table, in one list: what a generated protocol document walks. */
export const serverFrames: readonly FrameDefinition[] = [...Object.values(Answers), ...Object.values(Events), Failure]

/** The fields a frame's builder is given: everything but what the definition itself fixes. */
export type FrameFields<D extends FrameDefinition> = Omit<Static<D['schema']>, 'command' | 'result' | 'requestId'>

/**
 * Builds a frame of the table, serialized once: `{command, result?, requestId?, ...fields}`. Only
 * `requestId` and the fields vary; what the entry fixes (`command`, `result`) comes from the entry.
 */
export function buildFrame<D extends FrameDefinition> (definition: D, fields: FrameFields<D>, requestId?: string): string {
  // Undefined members are left out by JSON.stringify; a failure's own `command` (in `fields`) takes the
  // first place all the same.
  return JSON.stringify({ command: definition.command, result: definition.result, requestId, ...fields })
}

/**
 * A frame's fields serialized once, for several frames that carry the same fields (a message's broadcast
 * and its sender's answer); the definition only types them.
 */
export const serializeFields = <D extends FrameDefinition>(_definition: D, fields: FrameFields<D>): string => JSON.stringify(fields)

/** What `buildFrame(definition, fields, requestId)` gives, from the fields `serializeFields` made. */
export function buildFrameFrom (definition: FrameDefinition, fieldsText: string, requestId?: string): string {
  const head = JSON.stringify({ command: definition.command, result: definition.result, requestId })
  return fieldsText === '{}' ? head : `${head.slice(0, -1)},${fieldsText.slice(1)}`
}

/**
 * The entry a received frame belongs to (for checking it): a failure by its `result`, a success answer
 * by the command it carries, anything else by its event name (`pong` included). Undefined when the table
 * has no such frame.
 */
export function definitionOf (frame: { command?: unknown, result?: unknown }): FrameDefinition | undefined {
  if (frame.result === 'failed') return Failure
  if (frame.result === 'success') return answersByCommand.get(frame.command)
  return eventsByCommand.get(frame.command)
}

const answersByCommand = new Map<unknown, FrameDefinition>((Object.values(Answers) as FrameDefinition[]).filter((entry) => entry.result === 'success').map((entry) => [entry.command, entry]))
const eventsByCommand = new Map<unknown, FrameDefinition>([
  ...Object.values(Events).map((entry) => [entry.command, entry] as const),
  [Answers.ping.command, Answers.ping]
])
