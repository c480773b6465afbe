import type { FastifyBaseLogger } from 'fastify'
import type { BrokerEvent, RoomFrameEvent } from '../broker/types.js'
import { lastSeqs, messagesBetween } from '../chat/room-catch-up.js'
import type { MediaLinks } from '../chat/media-links.js'
import type { Db } from '../db/client.js'
import { buildFrame, Events } from '../protocol/events.js'

/** Messages handed out per room and check: a long outage is caught up over several checks. */
const FILL_LIMIT = 500

/**
 * A message younger than this may still be on its way through pub/sub: it is left to the next check, so
 * that a check never hands out what the broker is about to deliver.
 */
const IN_FLIGHT_MS = 1000

/** Rooms whose newest `seq` is read in one statement. */
const ROOMS_PER_QUERY = 1000

interface Position {
  seq: number
  /** When a message of the room last reached this node (Date.now()). */
  at: number
}

/**
 * The periodic position check (as Centrifugo's): pub/sub may lose a message silently (Redis away, a
 * subscription not yet in place), and a room that then goes quiet never shows a gap. Every
 * POSITION_CHECK_MS the node compares, for each room it listens to that had no message for that long, the
 * last `seq` that reached it with the room's `last_seq` in the database, and hands out what it missed,
 * read from the database, through the same delivery path (`deliver`), which drops what a socket already
 * has. A room's first reading only sets its position: what came before the node listened is `sync`'s.
 * After the broker comes back every room is checked at once, quiet or not.
 */
export class PositionCheck {
  private readonly positions = new Map<string, Position>()
  private running: Promise<void> | undefined

  constructor (private readonly options: {
    db: Db
    /** The rooms this node listens to. */
    rooms: () => Iterable<string>
    /** Hands a caught-up message to this node's delivery. */
    deliver: (event: RoomFrameEvent) => void
    /** POSITION_CHECK_MS: how often the owner calls `check('quiet')`, and how long a quiet room is quiet. */
    intervalMs: number
    /** Signs the links of caught-up attachments (read when needed: it is made after this). */
    links: () => MediaLinks
    log: FastifyBaseLogger
  }) {}

  /** Every event this node delivers passes here: a room's message moves its position. */
  observe (event: BrokerEvent): void {
    if (event.type !== 'room_frame' || event.seq === undefined) return
    const known = this.positions.get(event.roomId)
    if (known === undefined || event.seq > known.seq) this.positions.set(event.roomId, { seq: event.seq, at: Date.now() })
    else known.at = Date.now()
  }

  /** The node stopped listening to the room: its position would be stale when it listens again. */
  forget (roomId: string): void {
    this.positions.delete(roomId)
  }

  /** One check at a time; `all` after the broker was away (every room may have missed something). */
  async check (which: 'quiet' | 'all'): Promise<void> {
    if (this.running !== undefined) {
      if (which === 'quiet') return
      await this.running
    }
    this.running = this.run(which)
      .catch((error: unknown) => { this.options.log.warn({ err: error }, 'position check failed') })
      .finally(() => { this.running = undefined })
    await this.running
  }

  private async run (which: 'quiet' | 'all'): Promise<void> {
    const quietSince = Date.now() - this.options.intervalMs
    const rooms = [...this.options.rooms()].filter((roomId) => which === 'all' || (this.positions.get(roomId)?.at ?? 0) <= quietSince)
    for (let start = 0; start < rooms.length; start += ROOMS_PER_QUERY) {
      const chunk = rooms.slice(start, start + ROOMS_PER_QUERY)
      const stored = await lastSeqs(this.options.db, chunk)
      for (const roomId of chunk) {
        const last = stored.get(roomId)
        if (last === undefined) continue
        const known = this.positions.get(roomId)
        if (known === undefined) {
          this.positions.set(roomId, { seq: last, at: 0 })
          continue
        }
        if (last > known.seq) await this.fill(roomId, known.seq, last)
      }
    }
  }

  private async fill (roomId: string, afterSeq: number, uptoSeq: number): Promise<void> {
    const { memberIds, messages: found } = await messagesBetween(this.options.db, roomId, { afterSeq, uptoSeq }, FILL_LIMIT, this.options.links())
    // Up to the first message that may still be in flight: the position never skips one.
    const young = found.findIndex(({ body }) => Date.parse(body.message.createdAt) > Date.now() - IN_FLIGHT_MS)
    const messages = young < 0 ? found : found.slice(0, young)
    if (messages.length === 0) return
    this.options.log.info({ roomId, afterSeq, uptoSeq, filled: messages.length }, 'position check: messages that pub/sub lost handed out from the database')
    for (const { seq, body } of messages) {
      const event: RoomFrameEvent = { type: 'room_frame', roomId, seq, userIds: memberIds, frame: buildFrame(Events.user_message, body) }
      this.observe(event)
      this.options.deliver(event)
    }
  }
}
