import { and, asc, desc, eq, gt, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { perDatabase } from '../db/per-database.js'
import { members, messages, users } from '../db/schema.js'
import { toSenderProfile } from './users.js'
import { toWireMessage, type WireMessage } from './wire.js'

export const HISTORY_MAX_LIMIT = 100
export const HISTORY_DEFAULT_LIMIT = 50
export const SYNC_PAGE = 500

const sender = { id: users.id, fullname: users.fullname, avatar: users.avatar, primaryRole: users.primaryRole }

/** Message rows with their sender's profile, ready for `toWireMessage`. */
export const selectWithSender = (db: Db) => db.select({ row: messages, sender })
  .from(messages).innerJoin(users, eq(users.id, messages.senderId))

type RowWithSender = Awaited<ReturnType<ReturnType<typeof selectWithSender>['execute']>>[number]

export const toWire = ({ row, sender }: RowWithSender): WireMessage => toWireMessage(row, toSenderProfile(sender))

export interface HistoryPage {
  messages: WireMessage[]
  hasMore: boolean
}

/**
 * One page of a room's messages, ascending by id. With `afterId` the page starts just after it (newer
 * messages, `hasMore` = more newer ones); otherwise it ends just before `beforeId` or at the newest
 * message (`hasMore` = more older ones). Both cursors bound the page on both sides.
 */
export async function roomHistory (db: Db, roomId: string, page: { beforeId?: string, afterId?: string, limit: number }): Promise<HistoryPage> {
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
  return { messages: taken.map(toWire), hasMore }
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
  return db.select({ row: changed._.selectedFields, sender })
    .from(members)
    .crossJoinLateral(changed)
    .innerJoin(users, eq(users.id, changed.senderId))
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
export async function changesSince (db: Db, userId: string, since: string, limit = SYNC_PAGE): Promise<SyncPage> {
  const rows = await changesQuery(db).execute({ userId, since, limit: limit + 1 })
  const taken = rows.slice(0, limit)
  return {
    messages: taken.map(toWire),
    hasMore: rows.length > limit,
    syncToken: taken.at(-1)?.row.changeSeq ?? since
  }
}

/** Messages by id with their senders (room list's last messages). */
export async function messagesById (db: Db, ids: string[]): Promise<Map<string, WireMessage>> {
  if (ids.length === 0) return new Map()
  const rows = await selectWithSender(db).where(inArray(messages.id, ids))
  return new Map(rows.map((found) => [found.row.id, toWire(found)]))
}
