import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Db, Tx } from '../db/client.js'
import { chatRooms, members } from '../db/schema.js'
import { fail } from '../protocol/errors.js'
import type { MemberRoleName } from '../protocol/wire-types.js'
import { currentMemberIds, requireUsers, roomView, type RoomView } from './rooms.js'

/**
 * The caller's role in a room, without locking; fails with "Chat room not found" when the room has no row
 * and "You are not a member of this room" when the user is not a current member.
 */
export async function requireMember (db: Db | Tx, roomId: string, userId: string): Promise<MemberRoleName> {
  const [row] = await db.select({ roomId: chatRooms.id, role: members.role }).from(chatRooms)
    .leftJoin(members, and(eq(members.roomId, chatRooms.id), eq(members.userId, userId), isNull(members.leftAt)))
    .where(eq(chatRooms.id, roomId))
    .limit(1)
  if (row === undefined) return fail('ROOM_NOT_FOUND')
  if (row.role === null) return fail('NOT_A_MEMBER')
  return row.role
}

/** What a membership change did, for the events published after its transaction committed. */
export interface MembershipChange {
  /** False when nothing changed (the user already was, or already was not, a member). */
  changed: boolean
  /** Current members after the change. */
  memberIds: string[]
}

/**
 * Locks the room row as the message store does (SELECT ... FOR UPDATE), so a message is stored either
 * wholly before a membership change (and goes to the old members) or after it (and goes to the new ones).
 * Returns the caller's role; fails when the room does not exist or the caller is not a current member.
 */
async function lockRoomAsMember (tx: Tx, roomId: string, callerId: string): Promise<MemberRoleName> {
  const [room] = await tx.select({ id: chatRooms.id }).from(chatRooms).where(eq(chatRooms.id, roomId)).for('update')
  if (room === undefined) return fail('ROOM_NOT_FOUND')
  const [caller] = await tx.select({ role: members.role }).from(members)
    .where(and(eq(members.roomId, roomId), eq(members.userId, callerId), isNull(members.leftAt)))
  if (caller === undefined) return fail('NOT_A_MEMBER')
  return caller.role
}

/** The owner adds `userId`; a former member rejoins (left_at cleared), a current one is left as is. */
export async function addMember (db: Db, roomId: string, callerId: string, userId: string): Promise<MembershipChange & { room: RoomView }> {
  return db.transaction(async (tx) => {
    if (await lockRoomAsMember(tx, roomId, callerId) !== 'OWNER') fail('FORBIDDEN')
    await requireUsers(tx, [userId], () => '/userId')
    const written = await tx.insert(members).values({ roomId, userId, role: 'MEMBER' })
      .onConflictDoUpdate({
        target: [members.roomId, members.userId],
        set: { leftAt: null, joinedAt: new Date(), role: 'MEMBER' },
        setWhere: isNotNull(members.leftAt)
      })
      .returning({ userId: members.userId })
    const room = await roomView(tx, roomId)
    return { changed: written.length > 0, memberIds: room.members.map((member) => member.userId), room }
  })
}

/**
 * `userId` stops being a member (left_at set): by the owner's decision, or by their own when
 * `userId` is the caller. An owner who leaves hands the room to its longest-standing member.
 */
export async function removeMember (db: Db, roomId: string, callerId: string, userId: string): Promise<MembershipChange> {
  return db.transaction(async (tx) => {
    const callerRole = await lockRoomAsMember(tx, roomId, callerId)
    if (userId !== callerId && callerRole !== 'OWNER') fail('FORBIDDEN')
    const removed = await tx.update(members).set({ leftAt: new Date() })
      .where(and(eq(members.roomId, roomId), eq(members.userId, userId), isNull(members.leftAt)))
      .returning({ role: members.role })
    const wasOwner = removed[0]?.role === 'OWNER'
    if (wasOwner) await handOverOwnership(tx, roomId)
    return { changed: removed.length > 0, memberIds: await currentMemberIds(tx, roomId) }
  })
}

async function handOverOwnership (tx: Tx, roomId: string): Promise<void> {
  const [heir] = await tx.select({ userId: members.userId }).from(members)
    .where(and(eq(members.roomId, roomId), isNull(members.leftAt)))
    .orderBy(asc(members.joinedAt), asc(members.userId)).limit(1)
  if (heir === undefined) return
  await tx.update(members).set({ role: 'OWNER' }).where(and(eq(members.roomId, roomId), eq(members.userId, heir.userId)))
}
