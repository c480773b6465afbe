import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import type { MessageTypeName } from '../protocol/wire-types.js'
import type { PushProvider, PushTarget } from './types.js'

/** A row a worker holds, with what it needs to decide and to render, read in the same statement. */
export interface ClaimedPush {
  id: string
  kind: 'message' | 'clear'
  userId: string
  roomId: string
  messageId: string
  attempts: number
  doneDevices: string[]
  exceptDevice: string | null
  /** When the message was stored (ms since the epoch): the delay and the TTL count from it. */
  createdAtMs: number
  /** The message as it is now (null when it has no row). */
  messageType: MessageTypeName | null
  content: string | null
  deleted: boolean
  senderName: string | null
  roomTitle: string | null
  /** The recipient is still a current member, has not read the message, and has not muted the room. */
  member: boolean
  read: boolean
  muted: boolean
}

type Row = Record<string, unknown>
const rowsOf = (result: unknown): Row[] => (Array.isArray(result) ? result : (result as { rows: Row[] }).rows)
const run = async (db: Db, query: SQL): Promise<Row[]> => rowsOf(await db.execute(query))
const epochMs = (column: SQL) => sql`(extract(epoch from ${column}) * 1000)::float8`

/**
 * Takes up to `limit` due rows for this worker: FOR UPDATE SKIP LOCKED, so concurrent workers take
 * different rows, and `due_at` moved past the lease, so no other worker takes them while this one sends.
 * A worker that dies leaves its rows to be taken again when the lease runs out: nothing is lost.
 */
export async function claimDue (db: Db, limit: number, leaseMs: number, token: string): Promise<ClaimedPush[]> {
  const rows = await run(db, sql`
    WITH claimed AS (
      UPDATE push_outbox o SET due_at = now() + ${leaseMs}::float8 * interval '1 millisecond', claim_token = ${token}
      WHERE o.id IN (
        SELECT d.id FROM push_outbox d WHERE d.state = 'pending' AND d.due_at <= now()
        ORDER BY d.due_at LIMIT ${limit}::int FOR UPDATE SKIP LOCKED
      )
      RETURNING o.*
    )
    SELECT c.id::text, c.kind::text, c.user_id::text, c.room_id::text, c.message_id::text, c.attempts,
      c.done_devices, c.except_device, ${epochMs(sql`coalesce(m.created_at, c.created_at)`)} AS created_ms,
      m.message_type::text, m.content, m.deleted_at IS NOT NULL AS deleted, s.fullname AS sender_name,
      coalesce(r.title, l.title) AS room_title,
      mb.user_id IS NOT NULL AS member,
      coalesce(mb.last_read_message_id >= c.message_id, false) AS read,
      coalesce(mb.muted_until > now(), false) AS muted
    FROM claimed c
    LEFT JOIN messages m ON m.id = c.message_id AND c.kind = 'message'
    LEFT JOIN users s ON s.id = m.sender_id
    LEFT JOIN chat_rooms r ON r.id = c.room_id
    LEFT JOIN listings l ON l.id = r.listing_id
    LEFT JOIN members mb ON mb.room_id = c.room_id AND mb.user_id = c.user_id AND mb.left_at IS NULL
    ORDER BY c.due_at`)
  return rows.map((row) => ({
    id: row.id as string,
    kind: row.kind as 'message' | 'clear',
    userId: row.user_id as string,
    roomId: row.room_id as string,
    messageId: row.message_id as string,
    attempts: Number(row.attempts),
    doneDevices: (row.done_devices as string[] | null) ?? [],
    exceptDevice: row.except_device as string | null,
    createdAtMs: Number(row.created_ms),
    messageType: row.message_type as MessageTypeName | null,
    content: row.content as string | null,
    deleted: row.deleted === true,
    senderName: row.sender_name as string | null,
    roomTitle: row.room_title as string | null,
    member: row.member === true,
    read: row.read === true,
    muted: row.muted === true
  }))
}

/** Every registration of these users. */
export async function targetsOf (db: Db, userIds: string[]): Promise<Map<string, PushTarget[]>> {
  const targets = new Map<string, PushTarget[]>()
  if (userIds.length === 0) return targets
  const rows = await run(db, sql`SELECT user_id::text, device_uuid, provider::text, address, p256dh, auth, locale
    FROM push_registrations WHERE user_id = ANY (${sql.param(userIds)}::bigint[]) ORDER BY user_id, device_uuid`)
  for (const row of rows) {
    const target: PushTarget = {
      userId: row.user_id as string,
      deviceUuid: row.device_uuid as string,
      provider: row.provider as PushProvider,
      address: row.address as string,
      p256dh: row.p256dh as string | null,
      auth: row.auth as string | null,
      locale: row.locale as string | null
    }
    const list = targets.get(target.userId)
    if (list === undefined) targets.set(target.userId, [target])
    else list.push(target)
  }
  return targets
}

/** Each user's unread messages over all current rooms, as room_list counts them: the badge. */
export async function unreadTotals (db: Db, userIds: string[]): Promise<Map<string, number>> {
  const totals = new Map<string, number>(userIds.map((userId) => [userId, 0]))
  if (userIds.length === 0) return totals
  const rows = await run(db, sql`SELECT mb.user_id::text, count(m.id)::int AS unread
    FROM members mb JOIN messages m ON m.room_id = mb.room_id AND m.id > coalesce(mb.last_read_message_id, 0)
      AND m.sender_id <> mb.user_id AND m.deleted_at IS NULL
    WHERE mb.user_id = ANY (${sql.param(userIds)}::bigint[]) AND mb.left_at IS NULL
    GROUP BY mb.user_id`)
  for (const row of rows) totals.set(row.user_id as string, Number(row.unread))
  return totals
}

export type FinalState = 'sent' | 'skipped' | 'expired' | 'failed'

/** Finishes a row this worker holds; false when the lease was lost to another worker meanwhile. */
export async function finish (db: Db, id: string, token: string, state: FinalState, doneDevices: string[]): Promise<boolean> {
  const rows = await run(db, sql`UPDATE push_outbox SET state = ${state}::push_state, finished_at = now(), claim_token = NULL,
      done_devices = ${sql.param(doneDevices)}::text[]
    WHERE id = ${id}::bigint AND claim_token = ${token} AND state = 'pending' RETURNING id`)
  return rows.length > 0
}

/**
 * Moves the lease of a held row forward before a send: false when it is no longer this worker's (its
 * lease ran out and another worker took it), and then the worker must not send.
 */
export async function renewLease (db: Db, id: string, token: string, leaseMs: number): Promise<boolean> {
  const rows = await run(db, sql`UPDATE push_outbox SET due_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
    WHERE id = ${id}::bigint AND claim_token = ${token} AND state = 'pending' RETURNING id`)
  return rows.length > 0
}

/** Gives a held row back, to be taken again at `dueAtMs` (a delay, a backoff or an open breaker). */
export async function reschedule (db: Db, id: string, token: string, dueAtMs: number, doneDevices: string[], failedAttempt: boolean): Promise<void> {
  await run(db, sql`UPDATE push_outbox SET due_at = to_timestamp(${dueAtMs / 1000}::float8), claim_token = NULL,
      done_devices = ${sql.param(doneDevices)}::text[], attempts = attempts + ${failedAttempt ? 1 : 0}::int
    WHERE id = ${id}::bigint AND claim_token = ${token} AND state = 'pending'`)
}

/**
 * Keeps the outbox bounded: message rows still pending past their TTL are expired (a late push for an old
 * message is noise), and finished rows older than `retentionMs` are deleted. Returns how many of each.
 */
export async function pruneOutbox (db: Db, ttlSeconds: number, retentionMs: number): Promise<{ expired: number, deleted: number }> {
  const expired = await run(db, sql`UPDATE push_outbox SET state = 'expired', finished_at = now(), claim_token = NULL
    WHERE state = 'pending' AND created_at < now() - ${ttlSeconds}::float8 * interval '1 second' RETURNING id`)
  const deleted = await run(db, sql`DELETE FROM push_outbox
    WHERE state <> 'pending' AND finished_at < now() - ${retentionMs}::float8 * interval '1 millisecond' RETURNING id`)
  return { expired: expired.length, deleted: deleted.length }
}

/**
 * After a user read a room on one device: a silent clear for their other devices, if anything was pushed
 * for the room since the last clear. Reads within `throttleMs` coalesce into one pending clear.
 */
export async function queueClear (db: Db, userId: string, roomId: string, messageId: string, device: string, throttleMs: number): Promise<void> {
  await run(db, sql`
    INSERT INTO push_outbox (kind, user_id, room_id, message_id, due_at, except_device)
    SELECT 'clear', ${userId}::bigint, ${roomId}::bigint, ${messageId}::bigint, now() + ${throttleMs}::float8 * interval '1 millisecond', ${device}::text
    WHERE EXISTS (
      SELECT 1 FROM push_outbox p WHERE p.user_id = ${userId}::bigint AND p.room_id = ${roomId}::bigint AND p.kind = 'message' AND p.state = 'sent'
        AND p.finished_at > coalesce((SELECT max(q.finished_at) FROM push_outbox q
          WHERE q.user_id = ${userId}::bigint AND q.room_id = ${roomId}::bigint AND q.kind = 'clear' AND q.state = 'sent'), '-infinity')
    )
    ON CONFLICT (user_id, room_id) WHERE kind = 'clear' AND state = 'pending'
    DO UPDATE SET message_id = greatest(push_outbox.message_id, excluded.message_id), except_device = excluded.except_device`)
}
