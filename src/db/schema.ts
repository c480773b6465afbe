import { sql } from 'drizzle-orm'
import {
  customType,
  index,
  integer,
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
  lastReadMessageId: id('last_read_message_id')
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

export type UserRow = typeof users.$inferSelect
export type MessageRow = typeof messages.$inferSelect
