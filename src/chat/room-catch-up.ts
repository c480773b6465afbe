import { and, asc, eq, gt, inArray, lte } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { chatRooms, listings, messages } from '../db/schema.js'
import { currentMemberIds } from './rooms.js'
import { selectWithSender } from './history.js'
import { toSenderProfile } from './users.js'
import { messageEventBody, toRoomHeader, type MessageEventBody } from './wire.js'
import { toWireAttachment } from './attachments.js'
import type { MediaLinks } from './media-links.js'

/** The newest `seq` of each of `roomIds` (0 for a room without messages). */
export async function lastSeqs (db: Db, roomIds: string[]): Promise<Map<string, number>> {
  if (roomIds.length === 0) return new Map()
  const rows = await db.select({ id: chatRooms.id, lastSeq: chatRooms.lastSeq }).from(chatRooms).where(inArray(chatRooms.id, roomIds))
  return new Map(rows.map((row) => [row.id, Number(row.lastSeq)]))
}

/** A stored message as its broadcast carried it, and who it is for now. */
export interface CaughtUp {
  seq: number
  body: MessageEventBody
}

/**
 * The messages of `roomId` with `afterSeq` < seq <= `uptoSeq` (at most `limit`, oldest first), as their
 * `user_message` broadcasts (attachments with links signed now), and the room's current members: what a
 * node that missed them hands out.
 */
export async function messagesBetween (db: Db, roomId: string, range: { afterSeq: number, uptoSeq: number }, limit: number, links: MediaLinks): Promise<{ memberIds: string[], messages: CaughtUp[] }> {
  const { afterSeq, uptoSeq } = range
  const [room] = await db.select({ id: chatRooms.id, listingId: chatRooms.listingId, title: chatRooms.title, listingTitle: listings.title })
    .from(chatRooms).leftJoin(listings, eq(listings.id, chatRooms.listingId)).where(eq(chatRooms.id, roomId))
  if (room === undefined) return { memberIds: [], messages: [] }
  const header = toRoomHeader(room)
  const rows = await selectWithSender(db)
    .where(and(eq(messages.roomId, roomId), gt(messages.seq, afterSeq), lte(messages.seq, uptoSeq)))
    .orderBy(asc(messages.seq)).limit(limit)
  return {
    memberIds: await currentMemberIds(db, roomId),
    messages: rows.map(({ row, sender, attachment }) => ({
      seq: row.seq,
      body: messageEventBody(row, toSenderProfile(sender), header, attachment === null ? undefined : toWireAttachment(attachment, links))
    }))
  }
}
