import type { WebSocket } from 'ws'
import { CloseCodes } from '../protocol/close-codes.js'
import { FrameBudget } from './rate-limit.js'
import type { SenderProfile } from '../chat/users.js'
import { AnswerSlots } from './answer-slots.js'

export interface SessionInfo {
  userId: string
  uuid: string
  profile: SenderProfile
  /** Token expiry, milliseconds since the epoch. */
  expiresAt: number
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))
const ignore = () => {}
const RESOLVED = Promise.resolve()

/** What a queued task is given: `release` lets the next pipelined task start; `earlier` ends with the tasks before it. */
export interface Turn {
  release: () => void
  earlier: Promise<void>
}

/**
 * One WebSocket connection and what the server knows of it. Commands on it run one after another
 * (`enqueue`), so answers leave in the order the frames arrived.
 */
export class Connection {
  readonly id: string
  readonly socket: WebSocket
  readonly remoteAddress: string
  readonly openedAt = Date.now()
  session: SessionInfo | undefined
  /** Set on every pong; cleared when a ping goes out. A ping that finds it clear means the peer is gone. */
  alive = true
  closed = false
  /**
   * Cleared by a logout: the frames queued behind it (a message in the same TCP write) must not run. The
   * socket closes right after, so they get no answer either.
   */
  runsCommands = true
  failedLogins = 0
  /** How many frames it may still send (rate limit). */
  readonly budget: FrameBudget
  authTimer: NodeJS.Timeout | undefined
  /** The room its client shows in the foreground (`room_focus`), for the presence source. */
  focusRoomId: string | null = null
  /** When the session expires, as the registry's expiry timers have it (they set and clear it). */
  expiryAt: number | undefined
  /** Resolves when the next pipelined task may start. */
  private next: Promise<void> = RESOLVED
  /** Resolves when every task queued so far has finished. */
  private settled: Promise<void> = RESOLVED
  private pending = 0
  private readonly maxBufferedBytes: number
  /** Made on first use: most sockets never have a message in flight. */
  private slots: AnswerSlots | undefined

  constructor (id: string, socket: WebSocket, remoteAddress: string, maxBufferedBytes: number, budget = new FrameBudget(20, 100)) {
    this.id = id
    this.budget = budget
    this.socket = socket
    this.remoteAddress = remoteAddress
    this.maxBufferedBytes = maxBufferedBytes
  }

  /**
   * Runs `task` after every task queued before it has finished; errors are the task's own business.
   * A `pipelined` task starts as soon as the one before it has finished or called `release` (a
   * user_message does once the store has queued it, so one socket can have many messages in flight);
   * an answer it sends itself must wait for `earlier`, the end of every task queued before it.
   * Each task waits for a turn of the event loop first: an embedded database answers through promises
   * alone, and a long queue on one socket would otherwise keep every other socket from being read or
   * written meanwhile.
   */
  enqueue (task: (turn: Turn) => Promise<void>, pipelined = false): Promise<void> {
    this.pending++
    const earlier = this.settled
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    const done = (pipelined ? this.next : earlier).then(nextTurn).then(() => task({ release, earlier }))
      .finally(() => {
        release()
        // An idle socket keeps no chain of settled promises (memory per idle connection).
        if (--this.pending === 0) this.next = this.settled = RESOLVED
      })
    this.next = released
    this.settled = Promise.all([earlier, done]).then(ignore, ignore)
    return done
  }

  /** The answers that leave in the order their commands arrived (a message's acknowledgement among them). */
  get answers (): AnswerSlots {
    this.slots ??= new AnswerSlots((frame) => { this.send(frame) })
    return this.slots
  }

  /** Resolves once every queued command has finished (graceful shutdown). */
  async drained (): Promise<void> {
    while (this.pending > 0) await this.settled
  }

  /**
   * Sends an already serialized frame; false when it was dropped. A peer that does not read (its send buffer passes the limit) is
   * closed with 4030 instead of letting the server's memory grow; the others are not slowed down.
   */
  send (frame: string): boolean {
    if (this.closed || this.socket.readyState !== 1) return false
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.close(CloseCodes.TOO_SLOW, 'Too slow to read')
      return false
    }
    this.socket.send(frame)
    return true
  }

  close (code: number, reason = ''): void {
    if (this.closed) return
    this.closed = true
    this.clearTimers()
    this.socket.close(code, reason)
    // A peer that never answers the close handshake must not keep the socket (and its memory) forever.
    setTimeout(() => { if (this.socket.readyState !== 3) this.socket.terminate() }, 5_000).unref()
  }

  clearTimers (): void {
    clearTimeout(this.authTimer)
    this.authTimer = undefined
  }
}
