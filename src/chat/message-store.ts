import type { Db } from '../db/client.js'
import { statementRunner, type StatementRunner } from '../db/statements.js'
import type { MessageRow } from '../db/schema.js'
import { isTransientDbError, sqlState } from '../db/errors.js'
import type { FailureCode } from '../protocol/errors.js'
import type { MessageTypeName } from '../protocol/wire-types.js'
import type { SenderProfile } from './users.js'
import { CHANGE_ORDER_LOCK } from './change-order.js'
import { toRoomHeader, type RoomHeader } from './wire.js'
import type { AttachmentFacts } from './attachments.js'

export interface NewMessage {
  roomId: string
  sender: SenderProfile
  content: string | null
  messageType: MessageTypeName
  media: string | null
  clientMessageId: string | null
  replyToMessageId: string | null
  /** When the server received it (ms since the epoch), for the delivery latency. */
  receivedAt?: number
  /** An upload of the sender's that the message carries (its `media` is then the attachment's path). */
  attachmentId?: string | null
  /**
   * The connection that sent it and the answer slot its command took: the acknowledgement travels with
   * the broadcast (broker → node → registry) and takes the broadcast copy's place on that connection, so
   * the sending socket, too, receives the room's messages in `seq` order.
   */
  origin?: { connectionId: string, slot: number, requestId?: string | undefined }
  /**
   * Answers the sender when nothing new was published (a retry of a stored message, or a failure), or
   * when publishing broke. The connection's answer slots keep every answer in submission order.
   */
  answer?: (result: StoreResult) => void
}

export interface StoredMessage {
  ok: true
  /** True when `clientMessageId` named a message stored earlier: nothing new was written. */
  duplicate: boolean
  row: MessageRow
  room: RoomHeader
  /** Current members of the room when the message was stored. */
  recipients: string[]
  /** The message's attachment, if it carries one. */
  attachment: AttachmentFacts | null
  input: NewMessage
}
/** The refusals store_message_batch answers per message (its `outcome`), and what goes wrong around it. */
export type StoreFailure = Extract<FailureCode, 'ROOM_NOT_FOUND' | 'NOT_A_MEMBER' | 'MESSAGE_NOT_FOUND' | 'FORBIDDEN'> | 'UNAVAILABLE' | 'INTERNAL'
export type StoreResult = StoredMessage | { ok: false, code: StoreFailure, error?: unknown }

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
  private readonly runStatement: StatementRunner
  private readonly onStored: (stored: StoredMessage) => void
  private readonly onError: (error: unknown, size: number) => void
  private readonly onBatch: (results: StoreResult[], seconds: number) => void
  private readonly maxBatch: number
  private readonly waitLimitMs: number
  private readonly changeOrderLock: number

  /**
   * `maxBatch` 1 turns group commit off (one transaction per message): the benchmark compares both.
   * `waitLimitMs` bounds how long a batch waits for a database connection. `changeOrderLock` is the
   * lock every writer shares; the benchmark gives writers locks of their own to measure what it costs.
   */
  constructor (
    db: Db,
    hooks: {
      onStored: (stored: StoredMessage) => void
      onError: (error: unknown, size: number) => void
      /** Each batch's results and how long it took to store (metrics). */
      onBatch?: (results: StoreResult[], seconds: number) => void
    },
    options: { maxBatch?: number, waitLimitMs?: number, changeOrderLock?: number } = {}
  ) {
    this.runStatement = statementRunner(db)
    this.onStored = hooks.onStored
    this.onError = hooks.onError
    this.onBatch = hooks.onBatch ?? (() => {})
    this.maxBatch = options.maxBatch ?? MAX_BATCH
    this.waitLimitMs = options.waitLimitMs ?? 5000
    this.changeOrderLock = options.changeOrderLock ?? CHANGE_ORDER_LOCK
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
      const began = performance.now()
      const results = await this.storeWithFallback(batch.map((pending) => pending.input))
      this.onBatch(results, (performance.now() - began) / 1000)
      // Each message is published (and acknowledged) or answered in turn, in submission order: a socket
      // with several messages in flight gets its answers in the order it sent them.
      batch.forEach((pending, index) => {
        const result = results[index] ?? { ok: false, code: 'INTERNAL' }
        try {
          if (result.ok && !result.duplicate) this.onStored(result)
          else pending.input.answer?.(result)
        } catch (error) {
          // One broken publish must not stop the queue, nor leave its sender unanswered: the message is
          // stored, so it is answered as stored (the others are answered in their turn).
          this.onError(error, 1)
          try { pending.input.answer?.(result) } catch (answerError) { this.onError(answerError, 1) }
        }
        pending.resolve(result)
      })
      // Let sockets be read and written between batches when the database is embedded: it never yields
      // on its own. A server's answer came through I/O, and the next batch should leave at once.
      if (this.runStatement.embedded) await new Promise<void>((resolve) => setImmediate(resolve))
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
   * One statement for the batch (src/db/functions/store_message_batch.sql): one round trip, and its
   * own transaction. It must get a connection within `waitLimitMs` (the pool may be exhausted or the server
   * gone): past that the batch fails as transient and the statement is withdrawn, never to run. One that
   * was already sent is waited for: it may have stored the messages.
   */
  private storeOnce (inputs: NewMessage[]): Promise<StoreResult[]> {
    return new Promise((resolve, reject) => {
      const statement = this.runStatement(STORE_BATCH, [JSON.stringify(inputs.map(toBatchElement)), this.changeOrderLock])
      const timer = setTimeout(() => {
        if (statement.giveUp()) reject(Object.assign(new Error('no database connection within the wait limit'), { code: 'DB_POOL_TIMEOUT' }))
      }, this.waitLimitMs)
      statement.rows
        .then((rows) => resolve(toResults(inputs, rows as unknown as BatchRow[])), reject)
        .finally(() => clearTimeout(timer))
    })
  }
}

// The batch goes as text: no driver's JSON serializer gets a chance to encode it twice.
const STORE_BATCH = 'SELECT * FROM store_message_batch($1::text::jsonb, $2::bigint)'

const toBatchElement = (input: NewMessage) => ({
  roomId: input.roomId,
  senderId: input.sender.userId,
  content: input.content,
  messageType: input.messageType,
  media: input.media,
  clientMessageId: input.clientMessageId,
  replyToMessageId: input.replyToMessageId,
  attachmentId: input.attachmentId ?? null
})

/** PGlite hands timestamps over as Date; postgres.js, as drizzle configures it, as text. */
type Timestamp = Date | string
const toDate = (value: Timestamp): Date => value instanceof Date ? value : new Date(value)

/** One row of store_message_batch: the element's outcome, its message, and its room. */
interface BatchRow {
  ord: number
  outcome: 'inserted' | 'existing' | 'same-as' | Exclude<StoreFailure, 'UNAVAILABLE' | 'INTERNAL'>
  id: string
  room_id: string
  seq: number
  sender_id: string
  content: string | null
  message_type: MessageTypeName
  media: string | null
  client_message_id: string | null
  reply_to_message_id: string | null
  created_at: Timestamp
  edited_at: Timestamp | null
  deleted_at: Timestamp | null
  change_seq: string
  room_title: string | null
  listing_id: string | null
  listing_title: string | null
  /** Current members of the room, on the room's first inserted element only. */
  recipients: string[] | null
  /** The answered message's attachment (jsonb: `size` as a number, `id` as text). */
  attachment: (Omit<AttachmentFacts, 'size'> & { size: number | string }) | null
}

function toResults (inputs: NewMessage[], rows: BatchRow[]): StoreResult[] {
  if (rows.length !== inputs.length) throw new Error(`store_message_batch answered ${rows.length} rows for ${inputs.length} messages`)
  // One array per room, shared by the room's messages of this batch.
  const recipientsByRoom = new Map<string, string[]>()
  for (const row of rows) if (row.recipients !== null) recipientsByRoom.set(row.room_id, row.recipients)
  return rows.map((row, index): StoreResult => {
    if (row.outcome === 'ROOM_NOT_FOUND' || row.outcome === 'NOT_A_MEMBER' || row.outcome === 'MESSAGE_NOT_FOUND' || row.outcome === 'FORBIDDEN') {
      return { ok: false, code: row.outcome }
    }
    const input = inputs[index]!
    return {
      ok: true,
      duplicate: row.outcome !== 'inserted',
      row: {
        id: row.id,
        roomId: row.room_id,
        seq: row.seq,
        senderId: row.sender_id,
        content: row.content,
        messageType: row.message_type,
        media: row.media,
        clientMessageId: row.client_message_id,
        replyToMessageId: row.reply_to_message_id,
        createdAt: toDate(row.created_at),
        editedAt: row.edited_at === null ? null : toDate(row.edited_at),
        deletedAt: row.deleted_at === null ? null : toDate(row.deleted_at),
        changeSeq: row.change_seq
      },
      // The room the message is in: a retry sent to another room is answered with its original's room.
      room: toRoomHeader({ id: row.room_id, listingId: row.listing_id, title: row.room_title, listingTitle: row.listing_title }),
      recipients: recipientsByRoom.get(row.room_id) ?? [],
      attachment: row.attachment === null ? null : { ...row.attachment, size: Number(row.attachment.size) },
      input
    }
  })
}
