import { sql } from 'drizzle-orm'
import {
  bigint,
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex
} from 'drizzle-orm/pg-core'

// Ids are int8 in the database and decimal strings everywhere else: the wire protocol sends them as
// strings (bigint-safe) and both drivers hand them over as strings or bigints, never as lossy numbers.
const id = customType<{ data: string, driverData: string | number | bigint }>({
  dataType: () => 'bigint',
  fromDriver: (value) => String(value)
})
const serialId = customType<{ data: string, driverData: string | number | bigint, notNull: true, default: true }>({
  dataType: () => 'bigserial',
  fromDriver: (value) => String(value)
})
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

// The protocol's own lists of these words (src/protocol/wire-types.ts) must match; src/chat/wire.ts checks it.
export const userRole = pgEnum('user_role', ['USER', 'AGENT', 'ADMIN'])
export const userStatus = pgEnum('user_status', ['ACTIVE', 'INACTIVE', 'BANNED'])
export const memberRole = pgEnum('member_role', ['OWNER', 'MEMBER'])
export const messageType = pgEnum('message_type', ['TEXT', 'IMAGE', 'VIDEO', 'FILE'])

/** Global order of message changes (insert, edit, delete): the `syncToken` of the protocol. */
export const messageChangeSeq = pgSequence('message_change_seq')

export const users = pgTable('users', {
  id: serialId('id').primaryKey(),
  fullname: text('fullname').notNull(),
  email: text('email'),
  phone: text('phone'),
  avatar: text('avatar'),
  primaryRole: userRole('primary_role').notNull().default('USER'),
  status: userStatus('status').notNull().default('ACTIVE'),
  lastSeenAt: at('last_seen_at'),
  createdAt: at('created_at').notNull().defaultNow()
})

export const listings = pgTable('listings', {
  id: serialId('id').primaryKey(),
  title: text('title').notNull(),
  agentId: id('agent_id').notNull().references(() => users.id),
  status: text('status').notNull().default('ACTIVE'),
  createdAt: at('created_at').notNull().defaultNow()
})

export const chatRooms = pgTable('chat_rooms', {
  id: serialId('id').primaryKey(),
  listingId: id('listing_id').references(() => listings.id),
  // The buyer of a listing room: one room per (listing, buyer), enforced by the unique index below.
  buyerId: id('buyer_id').references(() => users.id),
  title: text('title'),
  createdBy: id('created_by').references(() => users.id),
  lastMessageId: id('last_message_id'),
  lastMessageAt: at('last_message_at'),
  lastSeq: integer('last_seq').notNull().default(0),
  createdAt: at('created_at').notNull().defaultNow()
}, (t) => [
  uniqueIndex('chat_rooms_listing_buyer_uq').on(t.listingId, t.buyerId)
])

export const members = pgTable('members', {
  roomId: id('room_id').notNull().references(() => chatRooms.id),
  userId: id('user_id').notNull().references(() => users.id),
  role: memberRole('role').notNull().default('MEMBER'),
  joinedAt: at('joined_at').notNull().defaultNow(),
  leftAt: at('left_at'),
  lastReadMessageId: id('last_read_message_id'),
  // room_mute: null = not muted, 'infinity' = until unmuted (docs/push.md).
  mutedUntil: at('muted_until')
}, (t) => [
  primaryKey({ columns: [t.roomId, t.userId] }),
  index('members_user_idx').on(t.userId)
])

export const messages = pgTable('messages', {
  id: serialId('id').primaryKey(),
  roomId: id('room_id').notNull().references(() => chatRooms.id),
  seq: integer('seq').notNull(),
  senderId: id('sender_id').notNull().references(() => users.id),
  content: text('content'),
  messageType: messageType('message_type').notNull(),
  media: text('media'),
  clientMessageId: text('client_message_id'),
  replyToMessageId: id('reply_to_message_id'),
  createdAt: at('created_at').notNull().defaultNow(),
  editedAt: at('edited_at'),
  deletedAt: at('deleted_at'),
  changeSeq: id('change_seq').notNull().default(sql`nextval('message_change_seq')`)
}, (t) => [
  uniqueIndex('messages_room_seq_uq').on(t.roomId, t.seq),
  uniqueIndex('messages_sender_client_id_uq').on(t.senderId, t.clientMessageId),
  index('messages_room_id_idx').on(t.roomId, t.id),
  uniqueIndex('messages_change_seq_uq').on(t.changeSeq),
  // sync: the changes of one room after a token, without reading the room's older messages.
  index('messages_room_change_idx').on(t.roomId, t.changeSeq)
])

export const pushProvider = pgEnum('push_provider', ['webpush', 'fcm'])

/** One push registration per (user, device uuid); a new one replaces the old (docs/push.md). */
export const pushRegistrations = pgTable('push_registrations', {
  userId: id('user_id').notNull().references(() => users.id),
  deviceUuid: text('device_uuid').notNull(),
  provider: pushProvider('provider').notNull(),
  /** The Web Push endpoint, or the FCM registration token. */
  address: text('address').notNull(),
  p256dh: text('p256dh'),
  auth: text('auth'),
  locale: text('locale'),
  updatedAt: at('updated_at').notNull().defaultNow()
}, (t) => [
  primaryKey({ columns: [t.userId, t.deviceUuid] }),
  // A browser or phone reaches one user at a time: registering it for another user moves it.
  uniqueIndex('push_registrations_address_uq').on(t.provider, t.address)
])

export const pushKind = pgEnum('push_kind', ['message', 'clear'])
export const pushState = pgEnum('push_state', ['pending', 'sent', 'skipped', 'expired', 'failed'])

/**
 * Pushes to do: one row per message and recipient who may need one (written by store_message_batch in
 * the message's transaction), and "clear" rows when a user read a room. `due_at` is when a worker may
 * next take the row: its delay, its backoff, or the lease of the worker holding it.
 */
export const pushOutbox = pgTable('push_outbox', {
  id: serialId('id').primaryKey(),
  kind: pushKind('kind').notNull().default('message'),
  userId: id('user_id').notNull(),
  roomId: id('room_id').notNull(),
  /** The message pushed, or for a clear the message read up to. */
  messageId: id('message_id').notNull(),
  state: pushState('state').notNull().default('pending'),
  dueAt: at('due_at').notNull().defaultNow(),
  createdAt: at('created_at').notNull().defaultNow(),
  attempts: integer('attempts').notNull().default(0),
  /** Set by the worker that holds the row; only it may finish it. */
  claimToken: text('claim_token'),
  /** Devices already pushed for this row: a retry leaves them out. */
  doneDevices: text('done_devices').array().notNull().default(sql`'{}'::text[]`),
  /** A clear is not sent to the device that read the room. */
  exceptDevice: text('except_device'),
  finishedAt: at('finished_at')
}, (t) => [
  index('push_outbox_due_idx').on(t.dueAt).where(sql`state = 'pending'`),
  uniqueIndex('push_outbox_message_user_uq').on(t.messageId, t.userId).where(sql`kind = 'message'`),
  // Reads of one room coalesce into one pending clear per user.
  uniqueIndex('push_outbox_clear_uq').on(t.userId, t.roomId).where(sql`kind = 'clear' AND state = 'pending'`),
  index('push_outbox_finished_idx').on(t.finishedAt).where(sql`state <> 'pending'`),
  index('push_outbox_user_room_idx').on(t.userId, t.roomId)
])

export const attachmentKind = pgEnum('attachment_kind', ['IMAGE', 'VIDEO', 'FILE'])
/** `pending`: a direct-to-bucket upload not completed yet; `ready`: checked and usable in a message. */
export const attachmentState = pgEnum('attachment_state', ['pending', 'ready'])

/** A derived image kept beside an attachment (docs/uploads.md): the small thumbnail and the larger preview. */
export interface StoredThumbnail {
  name: 'thumb' | 'preview'
  key: string
  width: number
  height: number
  size: number
  mimeType: string
}

/**
 * An uploaded file (docs/uploads.md). Its bytes live in the object storage under `storage_key`; it is
 * usable in one message of its owner, after which `room_id`/`message_id` say where it was sent and who
 * may fetch it. `deleted_at` marks one whose message was deleted: its bytes are being removed.
 */
export const attachments = pgTable('attachments', {
  id: serialId('id').primaryKey(),
  ownerId: id('owner_id').notNull().references(() => users.id),
  kind: attachmentKind('kind').notNull(),
  state: attachmentState('state').notNull().default('ready'),
  mimeType: text('mime_type').notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  sha256: text('sha256'),
  width: integer('width'),
  height: integer('height'),
  /** The client's file name, for Content-Disposition; never used to choose a type or a path. */
  fileName: text('file_name'),
  storageKey: text('storage_key').notNull(),
  thumbnails: jsonb('thumbnails').$type<StoredThumbnail[]>().notNull().default(sql`'[]'::jsonb`),
  roomId: id('room_id').references(() => chatRooms.id),
  messageId: id('message_id').references(() => messages.id),
  createdAt: at('created_at').notNull().defaultNow(),
  deletedAt: at('deleted_at')
}, (t) => [
  // Once: an attachment belongs to at most one message.
  uniqueIndex('attachments_message_uq').on(t.messageId),
  // Garbage collection: never-sent uploads by age, and the ones whose message was deleted.
  index('attachments_orphan_idx').on(t.createdAt).where(sql`message_id IS NULL`),
  index('attachments_deleted_idx').on(t.deletedAt).where(sql`deleted_at IS NOT NULL`)
])

export type UserRow = typeof users.$inferSelect
export type AttachmentRow = typeof attachments.$inferSelect
export type MessageRow = typeof messages.$inferSelect
export type MemberRow = typeof members.$inferSelect
