import { and, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { attachments, members, type AttachmentRow } from '../db/schema.js'
import type { AttachmentShape } from '../protocol/wire-types.js'
import type { MediaLinks } from './media-links.js'

export type AttachmentKind = AttachmentRow['kind']
export type NewAttachment = typeof attachments.$inferInsert

/** The `attachment` object of a message, and (with `kind`) the answer of an upload. */
export type WireAttachment = AttachmentShape

/** What the wire object is made from: a row, or the same fields as the message store reads them. */
export type AttachmentFacts = Pick<AttachmentRow, 'id' | 'mimeType' | 'size' | 'width' | 'height' | 'fileName' | 'thumbnails'>

export function toWireAttachment (row: AttachmentFacts, links: MediaLinks, now = Date.now()): WireAttachment {
  const wire: WireAttachment = { attachmentId: row.id, mimeType: row.mimeType, size: Number(row.size), url: links.link(row.id, 'original', now) }
  if (row.width !== null) wire.width = row.width
  if (row.height !== null) wire.height = row.height
  if (row.fileName !== null) wire.fileName = row.fileName
  for (const thumbnail of row.thumbnails) {
    if (thumbnail.name === 'thumb') wire.thumbnailUrl = links.link(row.id, 'thumb', now)
    else wire.previewUrl = links.link(row.id, 'preview', now)
  }
  return wire
}

export async function createAttachment (db: Db, values: NewAttachment): Promise<AttachmentRow> {
  const [row] = await db.insert(attachments).values(values).returning()
  return row!
}

/** The attachment, unless it is gone or its message was deleted. */
export async function findAttachment (db: Db, attachmentId: string): Promise<AttachmentRow | undefined> {
  const [row] = await db.select().from(attachments)
    .where(and(eq(attachments.id, attachmentId), isNull(attachments.deletedAt))).limit(1)
  return row
}

/**
 * Whether `userId` may fetch the attachment: its uploader until it is sent, then the current members of
 * the room it was sent to (a member who left or was removed no longer may, the sender included).
 */
export async function mayFetch (db: Db, attachment: AttachmentRow, userId: string): Promise<boolean> {
  if (attachment.roomId === null) return attachment.ownerId === userId && attachment.state === 'ready'
  const [member] = await db.select({ userId: members.userId }).from(members)
    .where(and(eq(members.roomId, attachment.roomId), eq(members.userId, userId), isNull(members.leftAt))).limit(1)
  return member !== undefined
}

/** Marks a direct upload checked and usable, with what the check found. */
export async function markReady (db: Db, attachmentId: string, facts: Pick<AttachmentRow, 'kind' | 'mimeType' | 'size' | 'sha256' | 'width' | 'height' | 'thumbnails'>): Promise<AttachmentRow | undefined> {
  const [row] = await db.update(attachments).set({ ...facts, state: 'ready' })
    .where(and(eq(attachments.id, attachmentId), eq(attachments.state, 'pending'), isNull(attachments.deletedAt)))
    .returning()
  return row
}

/**
 * Attachments whose bytes are to be removed: never sent and older than `orphanBefore`, or marked
 * deleted with their message. At most `limit` at a time.
 */
export async function collectable (db: Db, orphanBefore: Date, limit: number): Promise<AttachmentRow[]> {
  return db.select().from(attachments)
    .where(or(and(isNull(attachments.messageId), lt(attachments.createdAt, orphanBefore)), isNotNull(attachments.deletedAt)))
    .orderBy(attachments.id)
    .limit(limit)
}

/**
 * Forgets an attachment whose bytes are gone; one that was sent in the meantime is kept. `pending`: a
 * direct upload refused at completion, not marked deleted.
 */
export async function forgetAttachment (db: Db, row: Pick<AttachmentRow, 'id' | 'deletedAt'>, pending = false): Promise<boolean> {
  const still = pending
    ? eq(attachments.state, 'pending')
    : row.deletedAt === null ? isNull(attachments.messageId) : isNotNull(attachments.deletedAt)
  const written = await db.delete(attachments)
    .where(and(eq(attachments.id, row.id), still))
    .returning({ id: attachments.id })
  return written.length > 0
}
