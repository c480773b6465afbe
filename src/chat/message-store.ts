import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/client.js'
import { chatRooms, listings, members, messages, type MessageRow } from '../db/schema.js'
import { isTransientDbError, sqlState } from '../db/errors.js'
import type { FailureCode } from '../protocol/errors.js'
import type { SenderProfile } from '../sessions/connection.js'
import { takeChangeOrderLock } from './change-order.js'
import { toRoomHeader, type MessageEventBody, type RoomHeader } from './wire.js'

export type MessageType = 'TEXT' | 'IMAGE' | 'VIDEO' | 'FILE'

export interface NewMessage {
  roomId: string
  sender: SenderProfile
  content: string | null
  messageType: MessageType
  media: string | null
  clientMessageId: string | null
  replyToMessageId: string | null
  /** The connection that sent it: it gets the acknowledgement instead of the broadcast copy. */
  origin?: string
  /**
   * Sends the sender's acknowledgement; called right after the message is published, so that the
   * sending socket, too, receives the room's messages in `seq` order.
   */
  acknowledge?: (body: MessageEventBody) => void
}

export interface StoredMessage {
  ok: true
  /** True when `clientMessageId` named a message stored earlier: nothing new was written. */
  duplicate: boolean
  row: MessageRow
  room: RoomHeader
  /** Current members of the room when the message was stored. */
  recipients: string[]
  input: NewMessage
}
export type StoreResult = StoredMessage | { ok: false, code: FailureCode, error?: unknown }

/** Rows per transaction: well under PostgreSQL's 65 535 bind parameters for the multi-row insert. */
const MAX_BATCH = 500

interface Pending {
  input: NewMessage
  resolve: (result: StoreResult) => void
}

/**
 * Stores chat messages with group commit: while one transaction is in flight, new messages queue up and
 * are then written together in the next one (one room lock per room, one multi-row insert, one room
 * update). Batches run one at a time, so `seq` follows arrival order and `onStored` sees each room's
 * messages in `seq` order, after their transaction committed and never before.
 */
export class MessageStore {
  private queue: Pending[] = []
  private running: Promise<void> | undefined
  private readonly db: Db
  private readonly onStored: (stored: StoredMessage) => void
  private readonly onError: (error: unknown, size: number) => void
  private readonly maxBatch: number
  private readonly waitLimitMs: number

  /**
   * `maxBatch` 1 turns group commit off (one transaction per message): the benchmark compares both.
   * `waitLimitMs` bounds how long a batch waits for a database connection.
   */
  constructor (
    db: Db,
    hooks: { onStored: (stored: StoredMessage) => void, onError: (error: unknown, size: number) => void },
    options: { maxBatch?: number, waitLimitMs?: number } = {}
  ) {
    this.db = db
    this.onStored = hooks.onStored
    this.onError = hooks.onError
    this.maxBatch = options.maxBatch ?? MAX_BATCH
    this.waitLimitMs = options.waitLimitMs ?? 5000
  }

  submit (input: NewMessage): Promise<StoreResult> {
    return new Promise((resolve) => {
      this.queue.push({ input, resolve })
      this.running ??= this.run()
    })
  }

  /** Resolves when everything submitted so far has been stored or failed. */
  async drain (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  private async run (): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      const results = await this.storeWithFallback(batch.map((pending) => pending.input))
      // Publish first, in order, then answer: a sender never holds an acknowledgement for a message
      // that its room has not been sent yet.
      for (const result of results) if (result.ok && !result.duplicate) this.onStored(result)
      batch.forEach((pending, index) => pending.resolve(results[index] ?? { ok: false, code: 'INTERNAL' }))
      // Let sockets be read and written between batches (an embedded database never yields on its own).
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.running = undefined
  }

  private async storeWithFallback (inputs: NewMessage[]): Promise<StoreResult[]> {
    let error: unknown
    try {
      return await this.storeOnce(inputs)
    } catch (caught) {
      error = caught
    }
    // Another node stored the same clientMessageId between our check and our insert: the retry finds it.
    if (sqlState(error) === '23505') {
      try { return await this.storeOnce(inputs) } catch (caught) { error = caught }
    }
    if (isTransientDbError(error)) {
      this.onError(error, inputs.length)
      return inputs.map(() => ({ ok: false, code: 'UNAVAILABLE', error }))
    }
    // Something in one message broke the whole batch: store them one by one so only that one fails.
    if (inputs.length > 1) {
      const results: StoreResult[] = []
      for (const input of inputs) results.push(...await this.storeWithFallback([input]))
      return results
    }
    this.onError(error, 1)
    return [{ ok: false, code: 'INTERNAL', error }]
  }

  /**
   * One transaction for the batch. The database must start it within `waitLimitMs` (the pool may be
   * exhausted or the server gone): past that the batch fails as transient, and a transaction that gets
   * its connection later finds itself abandoned and rolls back before writing anything.
   */
  private storeOnce (inputs: NewMessage[]): Promise<StoreResult[]> {
    let state: 'waiting' | 'started' | 'abandoned' = 'waiting'
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (state !== 'waiting') return
        state = 'abandoned'
        reject(Object.assign(new Error('no database connection within the wait limit'), { code: 'DB_POOL_TIMEOUT' }))
      }, this.waitLimitMs)
      this.db.transaction(async (tx) => {
        if (state === 'abandoned') throw Object.assign(new Error('abandoned after the wait limit'), { code: 'DB_POOL_TIMEOUT' })
        state = 'started'
        return storeBatch(tx, inputs)
      }).then(resolve, reject).finally(() => clearTimeout(timer))
    })
  }
}

const clientKey = (senderId: string, clientMessageId: string) => `${senderId}\u0000${clientMessageId}`

async function storeBatch (tx: Tx, inputs: NewMessage[]): Promise<StoreResult[]> {
  const roomIds = [...new Set(inputs.map((input) => input.roomId))]
  // The reads go out together (one round trip: the driver pipelines them on the transaction's
  // connection) and run in this order: the members are read after the room locks are held.
  const [rooms, memberRows, existing, replyRooms, ids] = await Promise.all([
    // Locking the rooms (in id order, so concurrent batches cannot deadlock) serializes `seq` per room.
    tx.select({
      id: chatRooms.id,
      lastSeq: chatRooms.lastSeq,
      title: chatRooms.title,
      listingId: chatRooms.listingId,
      listingTitle: listings.title
    }).from(chatRooms)
      .leftJoin(listings, eq(listings.id, chatRooms.listingId))
      .where(inArray(chatRooms.id, roomIds))
      .orderBy(chatRooms.id)
      .for('update', { of: chatRooms }),
    tx.select({ roomId: members.roomId, userId: members.userId }).from(members)
      .where(and(inArray(members.roomId, roomIds), isNull(members.leftAt))),
    findByClientIds(tx, inputs),
    findReplyTargets(tx, inputs),
    // Ids drawn up front let the room update name the newest message without waiting for the insert.
    tx.select({ id: sql<string>`nextval(pg_get_serial_sequence('messages', 'id'))::text` }).from(sql`generate_series(1, ${inputs.length})`)
  ])
  const roomById = new Map(rooms.map((room) => [room.id, { ...room, header: toRoomHeader(room) }]))
  const membersByRoom = new Map<string, Set<string>>()
  for (const { roomId, userId } of memberRows) {
    const set = membersByRoom.get(roomId)
    if (set === undefined) membersByRoom.set(roomId, new Set([userId]))
    else set.add(userId)
  }

  type Plan = { kind: 'fail', code: FailureCode } | { kind: 'existing', row: MessageRow } | { kind: 'insert', index: number } | { kind: 'same-as', key: string }
  const plans: Plan[] = []
  const inserts: Array<typeof messages.$inferInsert> = []
  const batchKeys = new Map<string, number>()
  for (const input of inputs) {
    const room = roomById.get(input.roomId)
    const senderId = input.sender.userId
    if (room === undefined) { plans.push({ kind: 'fail', code: 'ROOM_NOT_FOUND' }); continue }
    if (!(membersByRoom.get(input.roomId)?.has(senderId) ?? false)) { plans.push({ kind: 'fail', code: 'NOT_A_MEMBER' }); continue }
    const key = input.clientMessageId === null ? undefined : clientKey(senderId, input.clientMessageId)
    if (key !== undefined) {
      const earlier = existing.get(key)
      if (earlier !== undefined) { plans.push({ kind: 'existing', row: earlier }); continue }
      if (batchKeys.has(key)) { plans.push({ kind: 'same-as', key }); continue }
    }
    if (input.replyToMessageId !== null && replyRooms.get(input.replyToMessageId) !== input.roomId) {
      plans.push({ kind: 'fail', code: 'MESSAGE_NOT_FOUND' })
      continue
    }
    room.lastSeq += 1
    if (key !== undefined) batchKeys.set(key, inserts.length)
    plans.push({ kind: 'insert', index: inserts.length })
    inserts.push({
      id: ids[inserts.length]!.id,
      roomId: input.roomId,
      seq: room.lastSeq,
      senderId,
      content: input.content,
      messageType: input.messageType,
      media: input.media,
      clientMessageId: input.clientMessageId,
      replyToMessageId: input.replyToMessageId
    })
  }

  // New rows take their change_seq from the sequence on insert: in commit order, like edits and deletes.
  if (inserts.length > 0) await takeChangeOrderLock(tx)
  // The insert and the room update go out together too (they do not depend on each other).
  const [inserted] = inserts.length === 0
    ? [[]]
    : await Promise.all([tx.insert(messages).values(inserts).returning(), updateRoomHeads(tx, inserts)])
  // RETURNING keeps the VALUES order in practice, but nothing promises it: match rows by (room, seq).
  const byRoomSeq = new Map(inserted.map((row) => [`${row.roomId}:${row.seq}`, row]))
  const insertedRows = inserts.map((values) => byRoomSeq.get(`${values.roomId}:${values.seq}`)!)

  // One array per room, shared by the room's messages of this batch.
  const recipientLists = new Map<string, string[]>()
  const recipientsOf = (roomId: string) => {
    let list = recipientLists.get(roomId)
    if (list === undefined) recipientLists.set(roomId, list = [...membersByRoom.get(roomId) ?? []])
    return list
  }
  return plans.map((plan, index): StoreResult => {
    const input = inputs[index]!
    if (plan.kind === 'fail') return { ok: false, code: plan.code }
    const room = roomById.get(input.roomId)!
    const recipients = recipientsOf(input.roomId)
    const stored = (row: MessageRow, duplicate: boolean): StoredMessage => ({ ok: true, duplicate, row, room: room.header, recipients, input })
    if (plan.kind === 'existing') return stored(plan.row, true)
    if (plan.kind === 'same-as') return stored(insertedRows[batchKeys.get(plan.key)!]!, true)
    return stored(insertedRows[plan.index]!, false)
  })
}

async function findByClientIds (tx: Tx, inputs: NewMessage[]): Promise<Map<string, MessageRow>> {
  const withId = inputs.filter((input) => input.clientMessageId !== null)
  const found = new Map<string, MessageRow>()
  if (withId.length === 0) return found
  const rows = await tx.select().from(messages).where(and(
    inArray(messages.senderId, [...new Set(withId.map((input) => input.sender.userId))]),
    inArray(messages.clientMessageId, [...new Set(withId.map((input) => input.clientMessageId!))])
  ))
  for (const row of rows) found.set(clientKey(row.senderId, row.clientMessageId!), row)
  return found
}

async function findReplyTargets (tx: Tx, inputs: NewMessage[]): Promise<Map<string, string>> {
  const ids = [...new Set(inputs.flatMap((input) => input.replyToMessageId === null ? [] : [input.replyToMessageId]))]
  if (ids.length === 0) return new Map()
  const rows = await tx.select({ id: messages.id, roomId: messages.roomId }).from(messages).where(inArray(messages.id, ids))
  return new Map(rows.map((row) => [row.id, row.roomId]))
}

/**
 * One statement for every room the batch wrote to: its `seq` counter and its newest message. The
 * messages' `created_at` defaults to now(), the transaction's start time, which is what now() says here.
 */
function updateRoomHeads (tx: Tx, inserts: Array<typeof messages.$inferInsert>) {
  const newest = new Map<string, { id: string, seq: number }>()
  for (const row of inserts) {
    const current = newest.get(row.roomId)
    if (current === undefined || row.seq > current.seq) newest.set(row.roomId, { id: row.id!, seq: row.seq })
  }
  const values = sql.join([...newest].map(([roomId, row]) => sql`(${roomId}::bigint, ${row.seq}::integer, ${row.id}::bigint)`), sql`, `)
  return tx.execute(sql`
    UPDATE chat_rooms AS r
    SET last_seq = v.seq, last_message_id = v.message_id, last_message_at = now()
    FROM (VALUES ${values}) AS v(room_id, seq, message_id)
    WHERE r.id = v.room_id`)
}
