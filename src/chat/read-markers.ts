import { and, eq, isNull, lt, or } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { members, messages } from '../db/schema.js'
import { fail } from '../protocol/errors.js'
import { requireMember } from './membership.js'
import { currentMemberIds } from './rooms.js'

export interface ReadMarkerMoved {
  recipients: string[]
  readAt: Date
}

/**
 * Moves the user's read marker in a room forward to `messageId`. Undefined when the marker already
 * stood there or further (nothing changed, nothing to tell anyone).
 */
export async function markRead (db: Db, roomId: string, userId: string, messageId: string): Promise<ReadMarkerMoved | undefined> {
  await requireMember(db, roomId, userId)
  const [message] = await db.select({ id: messages.id }).from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.roomId, roomId))).limit(1)
  if (message === undefined) fail('MESSAGE_NOT_FOUND')
  // The comparison in the WHERE clause makes concurrent reads on two devices safe: only forward wins.
  const moved = await db.update(members).set({ lastReadMessageId: messageId })
    .where(and(
      eq(members.roomId, roomId),
      eq(members.userId, userId),
      isNull(members.leftAt),
      or(isNull(members.lastReadMessageId), lt(members.lastReadMessageId, messageId))
    ))
    .returning({ userId: members.userId })
  if (moved.length === 0) return undefined
  return { recipients: await currentMemberIds(db, roomId), readAt: new Date() }
}
