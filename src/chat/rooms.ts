import { and, asc, eq, inArray, isNotNull, isNull } from 'drizzle-orm'
import type { Db, Tx } from '../db/client.js'
import { chatRooms, listings, members, users } from '../db/schema.js'
import { fail } from '../protocol/errors.js'
import type { RoomMemberShape } from '../protocol/wire-types.js'
import { toRoomHeader, type RoomHeader } from './wire.js'

/** A current member as room views list them (its schema: src/protocol/wire-types.ts). */
export type RoomMember = RoomMemberShape

/** A room as `room_create` and the room events show it: the header plus its current members. */
export interface RoomView extends RoomHeader {
  members: RoomMember[]
}

/** The most people one `room_create` may name (the caller comes on top). */
export const MAX_NEW_ROOM_MEMBERS = 100

/** The room's header and current members, read within `db` (a transaction sees its own changes). */
export async function roomView (db: Db | Tx, roomId: string): Promise<RoomView> {
  const [room] = await db.select({ id: chatRooms.id, listingId: chatRooms.listingId, title: chatRooms.title, listingTitle: listings.title })
    .from(chatRooms).leftJoin(listings, eq(listings.id, chatRooms.listingId)).where(eq(chatRooms.id, roomId))
  if (room === undefined) return fail('ROOM_NOT_FOUND')
  const rows = await db.select({ userId: members.userId, fullname: users.fullname, avatar: users.avatar, role: members.role })
    .from(members).innerJoin(users, eq(users.id, members.userId))
    .where(and(eq(members.roomId, roomId), isNull(members.leftAt)))
    .orderBy(asc(members.joinedAt), asc(members.userId))
  return { ...toRoomHeader(room), members: rows }
}

/** User ids of the room's current members. */
export async function currentMemberIds (db: Db | Tx, roomId: string): Promise<string[]> {
  const rows = await db.select({ userId: members.userId }).from(members)
    .where(and(eq(members.roomId, roomId), isNull(members.leftAt)))
  return rows.map((row) => row.userId)
}

export interface CreatedRoom {
  room: RoomView
  /** False when the (listing, buyer) room existed already: nothing was written. */
  created: boolean
  /** True when the buyer had left the existing room and was let back in. */
  rejoined: boolean
}

/**
 * The room where `buyerId` talks with the agent of `listingId`: created with both as members, or the one
 * that exists. Concurrent calls meet at the (listing, buyer) unique index: one inserts, the others find it.
 */
export async function openListingRoom (db: Db, listingId: string, buyerId: string): Promise<CreatedRoom> {
  const [listing] = await db.select({ agentId: listings.agentId }).from(listings).where(eq(listings.id, listingId))
  // There is no "listing not found" reason: a room for an unknown listing is simply not allowed.
  if (listing === undefined) return fail('FORBIDDEN')
  if (listing.agentId === buyerId) return fail('FORBIDDEN')
  return db.transaction(async (tx) => {
    const [inserted] = await tx.insert(chatRooms).values({ listingId, buyerId, createdBy: buyerId })
      .onConflictDoNothing({ target: [chatRooms.listingId, chatRooms.buyerId] })
      .returning({ id: chatRooms.id })
    if (inserted !== undefined) {
      await tx.insert(members).values([
        { roomId: inserted.id, userId: buyerId, role: 'OWNER' },
        { roomId: inserted.id, userId: listing.agentId, role: 'MEMBER' }
      ])
      return { room: await roomView(tx, inserted.id), created: true, rejoined: false }
    }
    const [existing] = await tx.select({ id: chatRooms.id }).from(chatRooms)
      .where(and(eq(chatRooms.listingId, listingId), eq(chatRooms.buyerId, buyerId)))
      .for('update')
    const roomId = existing!.id
    // A buyer who left and contacts the agent again comes back into the same conversation.
    const back = await tx.update(members).set({ leftAt: null, joinedAt: new Date() })
      .where(and(eq(members.roomId, roomId), eq(members.userId, buyerId), isNotNull(members.leftAt)))
      .returning({ userId: members.userId })
    return { room: await roomView(tx, roomId), created: false, rejoined: back.length > 0 }
  })
}

/** Fails with USER_NOT_FOUND (listing the offending ids) unless every id names a user. */
export async function requireUsers (db: Db | Tx, userIds: string[], path: (index: number) => string): Promise<void> {
  if (userIds.length === 0) return
  const rows = await db.select({ id: users.id }).from(users).where(inArray(users.id, userIds))
  const known = new Set(rows.map((row) => row.id))
  const errors = userIds.flatMap((id, index) => known.has(id) ? [] : [{ path: path(index), message: 'names no user' }])
  if (errors.length > 0) fail('USER_NOT_FOUND', errors)
}

/** A group room: the caller as OWNER, the others (de-duplicated, caller left out) as MEMBER. */
export async function createGroupRoom (db: Db, ownerId: string, otherIds: string[], title: string | null): Promise<RoomView> {
  return db.transaction(async (tx) => {
    const [room] = await tx.insert(chatRooms).values({ title, createdBy: ownerId }).returning({ id: chatRooms.id })
    await tx.insert(members).values([
      { roomId: room!.id, userId: ownerId, role: 'OWNER' as const },
      ...otherIds.map((userId) => ({ roomId: room!.id, userId, role: 'MEMBER' as const }))
    ])
    return roomView(tx, room!.id)
  })
}
