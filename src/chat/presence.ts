import { and, eq, inArray, isNull, lte, ne, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Db } from '../db/client.js'
import { members, users } from '../db/schema.js'

/** Who is online anywhere: the part of the presence source (src/presence) the domain asks. */
export interface OnlineUsers {
  /** The subset of `userIds` that has at least one logged-in device. */
  online: (userIds: string[]) => Promise<Set<string>>
}

export interface Presence {
  userId: string
  online: boolean
  /** When the user's last device disconnected; null while online or if never seen. */
  lastSeenAt: string | null
}

const peer = alias(members, 'peer')

/**
 * Users who currently share a room with `userId` (themself left out); with `among`, only those of it.
 * Both sides must be current members: a user who left a room no longer sees its people.
 */
export async function roomPeers (db: Db, userId: string, among?: string[]): Promise<string[]> {
  if (among?.length === 0) return []
  const rows = await db.selectDistinct({ userId: peer.userId }).from(members)
    .innerJoin(peer, eq(peer.roomId, members.roomId))
    .where(and(
      eq(members.userId, userId), isNull(members.leftAt), isNull(peer.leftAt), ne(peer.userId, userId),
      ...(among === undefined ? [] : [inArray(peer.userId, among)])
    ))
  return rows.map((row) => row.userId)
}

const roomSize = alias(members, 'room_size')

/**
 * Who hears that each of `userIds` came online or went offline: the current members of the rooms they
 * share with them, counting only rooms of at most `maxRoomMembers` members. In a broadcast-sized room,
 * pushing every member's comings and goings to every other member costs members² frames on a mass
 * reconnect; there, `presence_query` answers on demand instead. Users nobody hears are left out.
 */
export async function presenceAudiences (db: Db, userIds: string[], maxRoomMembers: number): Promise<Map<string, string[]>> {
  const audiences = new Map<string, string[]>()
  if (userIds.length === 0) return audiences
  // One array parameter instead of one parameter per user: a batch is hundreds of users.
  const ofUsers = sql`${members.userId} = any(${sql.param(userIds)}::bigint[])`
  const ownRooms = db.select({ roomId: members.roomId }).from(members)
    .where(and(ofUsers, isNull(members.leftAt)))
  const smallRooms = db.select({ roomId: roomSize.roomId }).from(roomSize)
    .where(and(inArray(roomSize.roomId, ownRooms), isNull(roomSize.leftAt)))
    .groupBy(roomSize.roomId)
    .having(lte(sql`count(*)`, maxRoomMembers))
  const rows = await db.selectDistinct({ userId: members.userId, peerId: peer.userId }).from(members)
    .innerJoin(peer, and(eq(peer.roomId, members.roomId), isNull(peer.leftAt), ne(peer.userId, members.userId)))
    .where(and(ofUsers, isNull(members.leftAt), inArray(members.roomId, smallRooms)))
  for (const { userId, peerId } of rows) {
    const audience = audiences.get(userId)
    if (audience === undefined) audiences.set(userId, [peerId])
    else audience.push(peerId)
  }
  return audiences
}

/** The presence of each of `userIds` (which must name users), in the order given. */
export async function presenceOf (db: Db, source: OnlineUsers, userIds: string[]): Promise<Presence[]> {
  if (userIds.length === 0) return []
  const [online, rows] = await Promise.all([
    source.online(userIds),
    db.select({ id: users.id, lastSeenAt: users.lastSeenAt }).from(users).where(inArray(users.id, userIds))
  ])
  const lastSeen = new Map(rows.map((row) => [row.id, row.lastSeenAt]))
  return userIds.filter((id) => lastSeen.has(id)).map((userId) => {
    const isOnline = online.has(userId)
    const seen = lastSeen.get(userId) ?? null
    return { userId, online: isOnline, lastSeenAt: isOnline || seen === null ? null : seen.toISOString() }
  })
}

/** Stores when each user's last device went away, in one statement. */
export async function recordLastSeen (db: Db, lastSeen: Map<string, Date>): Promise<void> {
  if (lastSeen.size === 0) return
  const ids = sql.param([...lastSeen.keys()])
  const times = sql.param([...lastSeen.values()].map((at) => at.toISOString()))
  // The times travel as text: the PostgreSQL driver has no serializer for a timestamptz[] parameter.
  await db.execute(sql`UPDATE ${users} SET last_seen_at = seen.at::timestamptz
    FROM unnest(${ids}::bigint[], ${times}::text[]) AS seen (id, at) WHERE ${users.id} = seen.id`)
}
