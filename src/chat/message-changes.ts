import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/client.js'
import { attachments, members, messages, type AttachmentRow, type MessageRow } from '../db/schema.js'
import { fail } from '../protocol/errors.js'
import { takeChangeOrderLock } from './change-order.js'
import { currentMemberIds } from './rooms.js'
import type { MemberRoleName } from '../protocol/wire-types.js'

export interface ChangedMessage {
  row: MessageRow
  /** Current members of the room, who hear about the change. */
  recipients: string[]
  /** False when nothing was written (deleting a message that is already deleted). */
  changed: boolean
}

/**
 * The message, locked for this transaction, with the caller's role in its room. A message in a room the
 * caller is not a current member of is "Message not found": its existence is not revealed.
 */
async function lockOwnMessage (tx: Tx, messageId: string, userId: string): Promise<{ row: MessageRow, role: MemberRoleName }> {
  const [found] = await tx.select({ row: messages, role: members.role }).from(messages)
    .innerJoin(members, and(eq(members.roomId, messages.roomId), eq(members.userId, userId), isNull(members.leftAt)))
    .where(eq(messages.id, messageId))
    .for('update', { of: messages })
  if (found === undefined) return fail('MESSAGE_NOT_FOUND')
  return found
}

/** Replaces the text of the caller's own TEXT message, within the edit window (0 = no limit). */
export async function editMessage (db: Db, input: { messageId: string, userId: string, content: string, editWindowMs: number }): Promise<ChangedMessage> {
  return db.transaction(async (tx) => {
    const { row } = await lockOwnMessage(tx, input.messageId, input.userId)
    if (row.senderId !== input.userId || row.deletedAt !== null || row.messageType !== 'TEXT') fail('FORBIDDEN')
    if (input.editWindowMs > 0 && Date.now() - row.createdAt.getTime() > input.editWindowMs) fail('EDIT_WINDOW_PASSED')
    await takeChangeOrderLock(tx)
    const [updated] = await tx.update(messages)
      .set({ content: input.content, editedAt: sql`now()`, changeSeq: sql`nextval('message_change_seq')` })
      .where(eq(messages.id, row.id))
      .returning()
    return { row: updated!, recipients: await currentMemberIds(tx, row.roomId), changed: true }
  })
}

/**
 * Deletes a message for everyone (its sender, or the room's owner): content and media are erased from
 * storage and the row stays as a tombstone, so history, sync and the room list can show that it existed.
 * Its attachment is marked deleted in the same transaction (no one may fetch it from then on) and
 * returned, for its bytes to be removed after commit. Deleting a deleted message changes nothing and
 * succeeds.
 */
export async function deleteMessage (db: Db, input: { messageId: string, userId: string }): Promise<ChangedMessage & { attachments: AttachmentRow[] }> {
  return db.transaction(async (tx) => {
    const { row, role } = await lockOwnMessage(tx, input.messageId, input.userId)
    if (row.senderId !== input.userId && role !== 'OWNER') fail('FORBIDDEN')
    if (row.deletedAt !== null) return { row, recipients: [], changed: false, attachments: [] }
    await takeChangeOrderLock(tx)
    const [updated] = await tx.update(messages)
      .set({ content: null, media: null, deletedAt: sql`now()`, changeSeq: sql`nextval('message_change_seq')` })
      .where(eq(messages.id, row.id))
      .returning()
    const erased = await tx.update(attachments).set({ deletedAt: sql`now()` })
      .where(and(eq(attachments.messageId, row.id), isNull(attachments.deletedAt)))
      .returning()
    return { row: updated!, recipients: await currentMemberIds(tx, row.roomId), changed: true, attachments: erased }
  })
}
