import { and, eq, isNull } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { members } from '../db/schema.js'

/** The rooms `userId` currently belongs to: the room channels a node holding one of their devices listens to. */
export async function roomIdsOf (db: Db, userId: string): Promise<string[]> {
  const rows = await db.select({ roomId: members.roomId }).from(members)
    .where(and(eq(members.userId, userId), isNull(members.leftAt)))
  return rows.map((row) => row.roomId)
}

/** Whether `userId` is a current member of `roomId` (no row lock: a reading of what was committed). */
export async function isCurrentMember (db: Db, roomId: string, userId: string): Promise<boolean> {
  const rows = await db.select({ roomId: members.roomId }).from(members)
    .where(and(eq(members.roomId, roomId), eq(members.userId, userId), isNull(members.leftAt)))
    .limit(1)
  return rows.length > 0
}
