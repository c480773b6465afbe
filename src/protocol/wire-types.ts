import { Type, type Static, type TSchema } from '@sinclair/typebox'

/**
 * The shapes that travel inside server frames (docs/protocol.md), as TypeBox schemas paired with their
 * static types. Objects are closed (`additionalProperties: false`): a field the protocol document does not
 * name is drift, and the suites' frame check fails on it.
 */

const closed = { additionalProperties: false } as const

export const Nullable = <S extends TSchema>(schema: S) => Type.Union([schema, Type.Null()])

const words = <W extends string>(values: readonly W[]) => Type.Union(values.map((value) => Type.Literal(value)))

/** An id as it leaves the server: a string of digits (bigint-safe). */
export const IdText = Type.String({ pattern: '^[0-9]{1,19}$', description: 'an id: a string of digits' })

/** ISO 8601 UTC with milliseconds, as every timestamp goes out. */
export const Timestamp = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$', description: 'ISO 8601 UTC with milliseconds' })

/** A position in the global sequence of message changes, to pass to `sync`. */
export const SyncToken = Type.String({ pattern: '^[0-9]{1,19}$', description: 'a change position: pass it to sync' })

/** The kinds of message: the request's `messageType` and every message's. */
export const MESSAGE_TYPES = ['TEXT', 'IMAGE', 'VIDEO', 'FILE'] as const
export const MessageTypeName = words(MESSAGE_TYPES)
export type MessageTypeName = Static<typeof MessageTypeName>

/** A member's role in a room. */
export const MEMBER_ROLES = ['OWNER', 'MEMBER'] as const
export const MemberRoleName = words(MEMBER_ROLES)
export type MemberRoleName = Static<typeof MemberRoleName>

export const UserRoleName = words(['USER', 'AGENT', 'ADMIN'])
export type UserRoleName = Static<typeof UserRoleName>
export const UserStatusName = words(['ACTIVE', 'INACTIVE', 'BANNED'])
export type UserStatusName = Static<typeof UserStatusName>

/** The public profile of a user, as it appears in `sender` objects. */
export const SenderProfileShape = Type.Object({
  userId: IdText,
  fullname: Type.String(),
  avatar: Nullable(Type.String()),
  primaryRole: UserRoleName
}, closed)

/** The kinds of attachment, each with its own size limit. */
export const ATTACHMENT_KINDS = ['IMAGE', 'VIDEO', 'FILE'] as const
export const AttachmentKindName = words(ATTACHMENT_KINDS)

/** What may be uploaded (GET /uploads/config and the login answer): the largest size of each kind and its types. */
export const UploadConfigShape = Type.Object({
  maxBytes: Type.Object({ IMAGE: Type.Integer(), VIDEO: Type.Integer(), FILE: Type.Integer() }, closed),
  types: Type.Object({ IMAGE: Type.Array(Type.String()), VIDEO: Type.Array(Type.String()), FILE: Type.Array(Type.String()) }, closed)
}, closed)

/** The `attachment` of a message sent with `attachmentId` (docs/uploads.md); its links are signed and short-lived. */
export const AttachmentShape = Type.Object({
  attachmentId: IdText,
  mimeType: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  width: Type.Optional(Type.Integer({ minimum: 1 })),
  height: Type.Optional(Type.Integer({ minimum: 1 })),
  fileName: Type.Optional(Type.String()),
  url: Type.String({ description: 'signed /media/ link, valid at least MEDIA_URL_TTL_S seconds' }),
  thumbnailUrl: Type.Optional(Type.String({ description: 'signed link to a JPEG of at most 320 px' })),
  previewUrl: Type.Optional(Type.String({ description: 'signed link to a JPEG of at most 1280 px' }))
}, closed)

/** The answer of POST /uploads: the attachment object with its kind. */
export const UploadAnswerShape = Type.Object({ kind: AttachmentKindName, ...AttachmentShape.properties }, closed)

/** A stored message as clients see it (broadcast, history, sync, room list); a deleted one is a tombstone. */
export const WireMessageShape = Type.Object({
  messageId: IdText,
  content: Nullable(Type.String()),
  roomId: IdText,
  messageType: MessageTypeName,
  media: Nullable(Type.String()),
  createdAt: Timestamp,
  sender: SenderProfileShape,
  seq: Type.Integer({ minimum: 1 }),
  clientMessageId: Type.Optional(Type.String()),
  replyToMessageId: Type.Optional(IdText),
  editedAt: Type.Optional(Timestamp),
  deletedAt: Type.Optional(Timestamp),
  attachment: Type.Optional(AttachmentShape)
}, closed)

/** The room header that travels with every message. */
export const RoomHeaderShape = Type.Object({
  roomId: IdText,
  listingId: Nullable(IdText),
  title: Nullable(Type.String())
}, closed)

export const RoomMemberShape = Type.Object({
  userId: IdText,
  fullname: Type.String(),
  avatar: Nullable(Type.String()),
  role: MemberRoleName
}, closed)

/** A room with its current members (room_create, room_add_member, room events). */
export const RoomViewShape = Type.Object({
  ...RoomHeaderShape.properties,
  members: Type.Array(RoomMemberShape)
}, closed)

/** One room of `room_list`. */
export const RoomListEntryShape = Type.Object({
  ...RoomHeaderShape.properties,
  lastMessage: Nullable(WireMessageShape),
  unreadCount: Type.Integer({ minimum: 0 }),
  members: Type.Array(RoomMemberShape)
}, closed)

/** The `user` of a successful login, exactly as the seed document shows it. */
export const LoginUserShape = Type.Object({
  userId: IdText,
  fullname: Type.String(),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  avatar: Nullable(Type.String()),
  primaryRole: UserRoleName,
  status: UserStatusName
}, closed)

export const PresenceShape = Type.Object({
  userId: IdText,
  online: Type.Boolean(),
  lastSeenAt: Nullable(Timestamp)
}, closed)

export const FieldErrorShape = Type.Object({ path: Type.String(), message: Type.String() }, closed)

export type SenderProfileShape = Static<typeof SenderProfileShape>
export type AttachmentShape = Static<typeof AttachmentShape>
export type UploadConfigShape = Static<typeof UploadConfigShape>
export type WireMessageShape = Static<typeof WireMessageShape>
export type RoomHeaderShape = Static<typeof RoomHeaderShape>
export type RoomMemberShape = Static<typeof RoomMemberShape>
export type RoomViewShape = Static<typeof RoomViewShape>
