import type { MemberRow, MessageRow, UserRow } from '../db/schema.js'
import type { AttachmentShape, MemberRoleName, MessageTypeName, RoomHeaderShape, UserRoleName, UserStatusName, WireMessageShape } from '../protocol/wire-types.js'
import type { SenderProfile } from './users.js'

// The database's enums (src/db/schema.ts) may not import the protocol's words, so the two lists meet
// here: a value added to one and not the other fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const vocabularyAgrees: [
  Same<MessageRow['messageType'], MessageTypeName>,
  Same<MemberRow['role'], MemberRoleName>,
  Same<UserRow['primaryRole'], UserRoleName>,
  Same<UserRow['status'], UserStatusName>
] = [true, true, true, true]
void vocabularyAgrees

/** The room header that travels with every message (`room` in the seed's frame). */
export type RoomHeader = RoomHeaderShape

/** A message as it goes out (its schema: src/protocol/wire-types.ts). */
export type WireMessage = WireMessageShape

/**
 * A stored message as clients see it: the seed's fields in the seed's order, then the additions.
 * A deleted message is a tombstone: no content, no media, `deletedAt` set. A message with an attachment
 * carries it, and its `media` is the attachment's signed link.
 */
export function toWireMessage (row: MessageRow, sender: SenderProfile, attachment?: AttachmentShape): WireMessage {
  const deleted = row.deletedAt !== null
  const wire: WireMessage = {
    messageId: row.id,
    content: deleted ? null : row.content,
    roomId: row.roomId,
    messageType: row.messageType,
    media: deleted ? null : (attachment?.url ?? row.media),
    createdAt: row.createdAt.toISOString(),
    sender,
    seq: row.seq
  }
  if (row.clientMessageId !== null) wire.clientMessageId = row.clientMessageId
  if (row.replyToMessageId !== null) wire.replyToMessageId = row.replyToMessageId
  if (row.editedAt !== null) wire.editedAt = row.editedAt.toISOString()
  if (row.deletedAt !== null) wire.deletedAt = row.deletedAt.toISOString()
  if (attachment !== undefined && !deleted) wire.attachment = attachment
  return wire
}

export const toRoomHeader = (room: { id: string, listingId: string | null, title: string | null, listingTitle: string | null }): RoomHeader => ({
  roomId: room.id,
  listingId: room.listingId,
  // A listing room usually has no title of its own: the listing's title names it.
  title: room.title ?? room.listingTitle
})

/** The body of a `user_message` frame: the seed's `message` and `room`, plus the `syncToken` covering it. */
export const messageEventBody = (row: MessageRow, sender: SenderProfile, room: RoomHeader, attachment?: AttachmentShape) => ({
  message: toWireMessage(row, sender, attachment),
  room,
  syncToken: row.changeSeq
})
export type MessageEventBody = ReturnType<typeof messageEventBody>
