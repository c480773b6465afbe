import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { chatRooms, listings, members, messages, users } from '../db/schema.js'
import { messagesById } from './history.js'
import type { MediaLinks } from './media-links.js'
import { toRoomHeader } from './wire.js'
import type { RoomMember } from './rooms.js'

export const ROOM_LIST_MAX_LIMIT = 100
export const ROOM_LIST_DEFAULT_LIMIT = 50

/** Where a page of the room list ends: the last room's activity (microseconds since the epoch) and id. */
interface RoomCursor { activityUs: string, roomId: string }

const BIGINT_MAX = 2n ** 63n - 1n
const BIGINT_MIN = -(2n ** 63n)

/** Cursors are opaque to clients: base64url of "activity.roomId". */
export const encodeCursor = (cursor: RoomCursor): string => Buffer.from(`${cursor.activityUs}.${cursor.roomId}`).toString('base64url')

/** The cursor a client handed back, or undefined when it is not one of ours. */
export function decodeCursor (text: string): RoomCursor | undefined {
  const match = /^(-?[0-9]{1,20})\.([0-9]{1,18})$/.exec(Buffer.from(text, 'base64url').toString('utf8'))
  if (match === null) return undefined
  // The pattern lets through 20 digits; PostgreSQL's bigint holds 19 (a forged cursor, never ours).
  const activityUs = BigInt(match[1]!)
  if (activityUs < BIGINT_MIN || activityUs > BIGINT_MAX) return undefined
  return { activityUs: match[1]!, roomId: match[2]! }
}

// A room's place in the list: its newest message, or its creation while it has none.
const activity = sql`coalesce(${chatRooms.lastMessageAt}, ${chatRooms.createdAt})`
// Exact to the microsecond (a JavaScript Date would round to milliseconds and repeat or skip rooms).
const activityUs = sql<string>`(extract(epoch from ${activity}) * 1000000)::bigint::text`

/** The user's current rooms, newest activity first, with last message, unread count and members. */
export async function listRooms (db: Db, userId: string, page: { limit: number, before?: RoomCursor }, links: MediaLinks) {
  const unread = sql<number>`(SELECT count(*) FROM ${messages} AS m
    WHERE m.room_id = ${chatRooms.id} AND m.id > coalesce(${members.lastReadMessageId}, 0)
      AND m.sender_id <> ${userId} AND m.deleted_at IS NULL)::int`
  const rows = await db.select({
    id: chatRooms.id,
    listingId: chatRooms.listingId,
    title: chatRooms.title,
    listingTitle: listings.title,
    lastMessageId: chatRooms.lastMessageId,
    activityUs,
    unreadCount: unread
  }).from(members)
    .innerJoin(chatRooms, eq(chatRooms.id, members.roomId))
    .leftJoin(listings, eq(listings.id, chatRooms.listingId))
    .where(and(
      eq(members.userId, userId),
      isNull(members.leftAt),
      page.before === undefined
        ? undefined
        : sql`(${activityUs}::bigint, ${chatRooms.id}) < (${page.before.activityUs}::bigint, ${page.before.roomId}::bigint)`
    ))
    .orderBy(desc(activity), desc(chatRooms.id))
    .limit(page.limit + 1)
  const taken = rows.slice(0, page.limit)
  const roomIds = taken.map((room) => room.id)
  const lastMessages = await messagesById(db, taken.flatMap((room) => room.lastMessageId === null ? [] : [room.lastMessageId]), links)
  const roster = await roomRosters(db, roomIds)
  const last = taken.at(-1)
  return {
    rooms: taken.map((room) => ({
      ...toRoomHeader(room),
      lastMessage: room.lastMessageId === null ? null : (lastMessages.get(room.lastMessageId) ?? null),
      unreadCount: room.unreadCount,
      members: roster.get(room.id) ?? []
    })),
    nextCursor: rows.length > page.limit && last !== undefined ? encodeCursor({ activityUs: last.activityUs, roomId: last.id }) : null
  }
}

/** Current members of each room with their public profile and role, owners first. */
async function roomRosters (db: Db, roomIds: string[]) {
  const roster = new Map<string, RoomMember[]>()
  if (roomIds.length === 0) return roster
  const rows = await db.select({ roomId: members.roomId, userId: users.id, fullname: users.fullname, avatar: users.avatar, role: members.role })
    .from(members).innerJoin(users, eq(users.id, members.userId))
    .where(and(inArray(members.roomId, roomIds), isNull(members.leftAt)))
    .orderBy(members.roomId, members.role, members.joinedAt, members.userId)
  for (const { roomId, ...member } of rows) {
    const list = roster.get(roomId)
    if (list === undefined) roster.set(roomId, [member])
    else list.push(member)
  }
  return roster
}
