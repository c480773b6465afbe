import type { FastifyBaseLogger } from 'fastify'
import type { RoomFrameEvent } from '../broker/types.js'

/** One room's place on this node: the next `seq` to hand out, and what waits for it. */
interface RoomState {
  /** The next message's `seq`; unknown until the first message or a subscription's starting point. */
  expected: number | undefined
  /** Messages that came before their predecessors, by `seq`. */
  held: Map<number, RoomFrameEvent>
  /** Other events of the room (edits, reads, ...) that came after a held message, with the highest `seq` seen before them. */
  waiting: Array<{ after: number, event: RoomFrameEvent }>
  maxSeen: number
  timer: NodeJS.Timeout | undefined
}

export interface RoomOrderOptions {
  /** Hands one event to this node's sockets. */
  deliver: (event: RoomFrameEvent) => void
  /** Hands a message older than what the node already delivered to the sending connection only (its acknowledgement). */
  deliverLate: (event: RoomFrameEvent) => void
  /** Reads the room's messages `fromSeq`..`toSeq` from the database, as events. */
  fill: (roomId: string, fromSeq: number, toSeq: number) => Promise<RoomFrameEvent[]>
  /** How long a message waits for its predecessor before the gap is read from the database. */
  gapWaitMs: number
  log: FastifyBaseLogger
}

/**
 * Hands each room's messages to this node's sockets in `seq` order, whatever order the broker brought
 * them in. A message whose predecessor has not arrived is held; after `gapWaitMs` the missing ones are
 * read from the database. A message older than the last one handed out is dropped (its sender still
 * gets the acknowledgement). A room's other events keep their place behind the messages held before them.
 */
export class RoomOrder {
  private readonly rooms = new Map<string, RoomState>()
  private readonly options: RoomOrderOptions

  constructor (options: RoomOrderOptions) {
    this.options = options
  }

  /** The node starts listening to a room whose last message is `lastSeq`: the next one is `lastSeq + 1`. */
  startAt (roomId: string, lastSeq: number): void {
    const state = this.state(roomId)
    if (state.expected === undefined || state.expected <= lastSeq) state.expected = lastSeq + 1
    this.flush(roomId, state)
  }

  /** The node stopped listening to the room. */
  forget (roomId: string): void {
    const state = this.rooms.get(roomId)
    if (state === undefined) return
    clearTimeout(state.timer)
    // What was held goes out as it is: its recipients were computed with the change.
    for (const event of [...state.held.keys()].sort((a, b) => a - b).map((seq) => state.held.get(seq)!)) this.options.deliver(event)
    for (const { event } of state.waiting) this.options.deliver(event)
    this.rooms.delete(roomId)
  }

  receive (event: RoomFrameEvent): void {
    const state = this.state(event.roomId)
    if (event.seq === undefined) {
      if (state.held.size === 0) this.options.deliver(event)
      else state.waiting.push({ after: state.maxSeen, event })
      return
    }
    const seq = event.seq
    state.expected ??= seq
    if (seq < state.expected || state.held.has(seq)) {
      this.options.deliverLate(event)
      return
    }
    if (seq > state.maxSeen) state.maxSeen = seq
    if (seq > state.expected) {
      state.held.set(seq, event)
      this.armTimer(event.roomId, state)
      return
    }
    this.options.deliver(event)
    state.expected = seq + 1
    this.flush(event.roomId, state)
  }

  close (): void {
    for (const state of this.rooms.values()) clearTimeout(state.timer)
    this.rooms.clear()
  }

  private state (roomId: string): RoomState {
    let state = this.rooms.get(roomId)
    if (state === undefined) {
      state = { expected: undefined, held: new Map(), waiting: [], maxSeen: 0, timer: undefined }
      this.rooms.set(roomId, state)
    }
    return state
  }

  /** Hands out what no longer waits for anything. */
  private flush (roomId: string, state: RoomState): void {
    if (state.expected === undefined) return
    this.releaseWaiting(state)
    for (let next = state.held.get(state.expected); next !== undefined; next = state.held.get(state.expected)) {
      state.held.delete(state.expected)
      this.options.deliver(next)
      state.expected++
      this.releaseWaiting(state)
    }
    // Held messages at or below the next seq were filled meanwhile: what the node has now is newer.
    for (const seq of state.held.keys()) {
      if (seq < state.expected) {
        this.options.deliverLate(state.held.get(seq)!)
        state.held.delete(seq)
      }
    }
    this.releaseWaiting(state)
    if (state.held.size === 0) {
      clearTimeout(state.timer)
      state.timer = undefined
    } else {
      this.armTimer(roomId, state)
    }
  }

  /** Hands out the other events whose preceding messages have all gone out. */
  private releaseWaiting (state: RoomState): void {
    while (state.waiting.length > 0 && (state.held.size === 0 || state.waiting[0]!.after < state.expected!)) {
      this.options.deliver(state.waiting.shift()!.event)
    }
  }

  private armTimer (roomId: string, state: RoomState): void {
    if (state.timer !== undefined) return
    state.timer = setTimeout(() => { void this.fillGap(roomId, state) }, this.options.gapWaitMs)
    state.timer.unref()
  }

  /** The predecessors did not come: read them from the database, then hand out everything in order. */
  private async fillGap (roomId: string, state: RoomState): Promise<void> {
    const from = state.expected
    const firstHeld = Math.min(...state.held.keys())
    if (from === undefined || !Number.isFinite(firstHeld)) {
      state.timer = undefined
      return
    }
    try {
      const missing = await this.options.fill(roomId, from, firstHeld - 1)
      for (const event of missing) {
        if (event.seq !== undefined && event.seq === state.expected) {
          this.options.deliver(event)
          state.expected = event.seq + 1
        }
      }
    } catch (error) {
      this.options.log.warn({ err: error, roomId, fromSeq: from, toSeq: firstHeld - 1 }, 'gap fill failed; clients catch up with sync')
    }
    if (this.rooms.get(roomId) !== state) return
    state.timer = undefined
    // What the database did not give (it failed) is skipped: the held messages go out, clients sync the rest.
    if (state.expected! < firstHeld) {
      this.options.log.warn({ roomId, fromSeq: state.expected, toSeq: firstHeld - 1 }, 'messages skipped in delivery')
      state.expected = firstHeld
    }
    this.flush(roomId, state)
  }
}
