import { and, asc, desc, eq, gt, inArray, isNull, lt, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { perDatabase } from '../db/per-database.js'
import { attachments, members, messages, users } from '../db/schema.js'
import { toSenderProfile } from './users.js'
import { toWireMessage, type WireMessage } from './wire.js'
import { toWireAttachment } from './attachments.js'
import type { MediaLinks } from './media-links.js'

export const HISTORY_MAX_LIMIT = 100
export const HISTORY_DEFAULT_LIMIT = 50
export const SYNC_PAGE = 500

const sender = { id: users.id, fullname: users.fullname, avatar: users.avatar, primaryRole: users.primaryRole }
const attachment = {
  id: attachments.id,
  mimeType: attachments.mimeType,
  size: attachments.size,
  width: attachments.width,
  height: attachments.height,
  fileName: attachments.fileName,
  thumbnails: attachments.thumbnails
}
/** A message's attachment, unless the message (and so the attachment) was deleted. */
const attachmentOf = (messageId: SQLWrapper) => and(eq(attachments.messageId, messageId), isNull(attachments.deletedAt))

/** Message rows with their sender's profile and attachment, ready for `toWireMessage`. */
export const selectWithSender = (db: Db) => db.select({ row: messages, sender, attachment })
  .from(messages).innerJoin(users, eq(users.id, messages.senderId))
  .leftJoin(attachments, attachmentOf(messages.id))

type RowWithSender = Awaited<ReturnType<ReturnType<typeof selectWithSender>['execute']>>[number]

/** A message as clients see it; its attachment's links are signed now, for whoever asked. */
export const toWire = ({ row, sender, attachment }: RowWithSender, links: MediaLinks): WireMessage =>
  toWireMessage(row, toSenderProfile(sender), attachment === null ? undefined : toWireAttachment(attachment, links))

export interface HistoryPage {
  messages: WireMessage[]
  hasMore: boolean
}

/**
 * One page of a room's messages, ascending by id. With `afterId` the page starts just after it (newer
 * messages, `hasMore` = more newer ones); otherwise it ends just before `beforeId` or at the newest
 * message (`hasMore` = more older ones). Both cursors bound the page on both sides.
 */
export async function roomHistory (db: Db, roomId: string, page: { beforeId?: string, afterId?: string, limit: number }, links: MediaLinks): Promise<HistoryPage> {
  const conditions: SQL[] = [eq(messages.roomId, roomId)]
  if (page.beforeId !== undefined) conditions.push(lt(messages.id, page.beforeId))
  if (page.afterId !== undefined) conditions.push(gt(messages.id, page.afterId))
  const forward = page.afterId !== undefined
  const rows = await selectWithSender(db).where(and(...conditions))
    .orderBy(forward ? asc(messages.id) : desc(messages.id))
    .limit(page.limit + 1)
  const hasMore = rows.length > page.limit
  const taken = rows.slice(0, page.limit)
  if (!forward) taken.reverse()
  return { messages: taken.map((found) => toWire(found, links)), hasMore }
}

export interface SyncPage extends HistoryPage {
  syncToken: string
}

/**
 * The first changes after `since` of each of the user's current rooms, merged. Taking at most `limit`
 * per room first (a range of the (room_id, change_seq) index) bounds the work by the page, whatever the
 * rooms hold. The plain join of messages and members can instead walk the whole change index: with the
 * generic plan of a prepared statement, or for a user of several busy rooms. Change numbers are unique,
 * so the first `limit` overall are among the first `limit` of their own room: the page is the same.
 */
const changesQuery = perDatabase((db) => {
  const limit = sql.placeholder('limit')
  const changed = db.select().from(messages)
    .where(and(eq(messages.roomId, members.roomId), gt(messages.changeSeq, sql.placeholder('since'))))
    .orderBy(asc(messages.changeSeq))
    .limit(limit)
    .as('changed')
  return db.select({ row: changed._.selectedFields, sender, attachment })
    .from(members)
    .crossJoinLateral(changed)
    .innerJoin(users, eq(users.id, changed.senderId))
    .leftJoin(attachments, attachmentOf(changed.id))
    .where(and(eq(members.userId, sql.placeholder('userId')), isNull(members.leftAt)))
    .orderBy(asc(changed.changeSeq))
    .limit(limit)
    .prepare('changes_since')
})

/**
 * Every message of the user's current rooms whose last change (insert, edit, delete) came after `since`,
 * in change order. A message appears once, as it is now. The token is the last change returned, or
 * `since` itself when nothing changed.
 */
export async function changesSince (db: Db, userId: string, since: string, links: MediaLinks, limit = SYNC_PAGE): Promise<SyncPage> {
  const rows = await changesQuery(db).execute({ userId, since, limit: limit + 1 })
  const taken = rows.slice(0, limit)
  return {
    messages: taken.map((found) => toWire(found, links)),
    hasMore: rows.length > limit,
    syncToken: taken.at(-1)?.row.changeSeq ?? since
  }
}

/** Messages by id with their senders (room list's last messages). */
export async function messagesById (db: Db, ids: string[], links: MediaLinks): Promise<Map<string, WireMessage>> {
  if (ids.length === 0) return new Map()
  const rows = await selectWithSender(db).where(inArray(messages.id, ids))
  return new Map(rows.map((found) => [found.row.id, toWire(found, links)]))
}
