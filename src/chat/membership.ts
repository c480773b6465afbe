import { and, eq, isNull } from 'drizzle-orm'
import type { Db, Tx } from '../db/client.js'
import { chatRooms, members } from '../db/schema.js'
import { fail } from '../protocol/errors.js'

export type MemberRole = 'OWNER' | 'MEMBER'

/**
 * The caller's role in a room; fails with "Chat room not found" when the room has no row and "You are
 * not a member of this room" when the user is not a current member.
 */
export async function requireMember (db: Db | Tx, roomId: string, userId: string): Promise<MemberRole> {
  const [row] = await db.select({ roomId: chatRooms.id, role: members.role }).from(chatRooms)
    .leftJoin(members, and(eq(members.roomId, chatRooms.id), eq(members.userId, userId), isNull(members.leftAt)))
    .where(eq(chatRooms.id, roomId))
    .limit(1)
  if (row === undefined) return fail('ROOM_NOT_FOUND')
  if (row.role === null) return fail('NOT_A_MEMBER')
  return row.role
}

/** The current members of a room (one primary-key range read). */
export async function roomMemberIds (db: Db | Tx, roomId: string): Promise<string[]> {
  const rows = await db.select({ userId: members.userId }).from(members)
    .where(and(eq(members.roomId, roomId), isNull(members.leftAt)))
  return rows.map((row) => row.userId)
}
