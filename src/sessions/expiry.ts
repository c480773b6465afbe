/** setTimeout cannot wait longer than 2^31-1 ms; a later deadline is reached in several steps. */
const MAX_TIMER_MS = 2_147_483_647

/** Time and one-shot timers: the process's own, or a test's hand-driven clock. */
export interface Clock {
  now: () => number
  setTimer: (fire: () => void, ms: number) => unknown
  clearTimer: (timer: unknown) => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Unref'd: a pending expiry never keeps the process alive.
  setTimer: (fire, ms) => setTimeout(fire, ms).unref(),
  clearTimer: (timer) => { clearTimeout(timer as NodeJS.Timeout | undefined) }
}

/** What the timers keep on each item: the deadline it waits for, as they rounded it. */
export interface Expiring {
  expiryAt: number | undefined
}

/**
 * The session expiries of all connections on one timer. A timer of its own for every connection costs
 * about 250 bytes each (the Timeout, its closure and context), a lot at tens of thousands of idle
 * sockets; here a connection is one entry in a set. Deadlines are grouped by the second, rounded up so
 * that none is reached early (a token's `exp` counts whole seconds anyway); the one timer waits for the
 * earliest group.
 */
export class ExpiryTimers<T extends Expiring> {
  private readonly groups = new Map<number, Set<T>>()
  private timer: unknown
  private timerAt = Infinity
  private readonly onDue: (item: T) => void
  private readonly clock: Clock

  /** `onDue` is called once an item's deadline has passed (its entry is gone by then). */
  constructor (onDue: (item: T) => void, clock: Clock = systemClock) {
    this.onDue = onDue
    this.clock = clock
  }

  /** Calls `onDue(item)` at `deadline` (milliseconds since the epoch), in place of any earlier deadline. */
  set (item: T, deadline: number): void {
    this.clear(item)
    const at = Math.ceil(deadline / 1000) * 1000
    let group = this.groups.get(at)
    if (group === undefined) {
      group = new Set()
      this.groups.set(at, group)
    }
    group.add(item)
    item.expiryAt = at
    if (at < this.timerAt) this.arm(at)
  }

  clear (item: T): void {
    const at = item.expiryAt
    if (at === undefined) return
    item.expiryAt = undefined
    const group = this.groups.get(at)
    if (group === undefined || !group.delete(item) || group.size > 0) return
    this.groups.delete(at)
    if (this.groups.size === 0) this.disarm()
  }

  private arm (at: number): void {
    this.clock.clearTimer(this.timer)
    this.timerAt = at
    this.timer = this.clock.setTimer(() => { this.fire() }, Math.max(0, Math.min(at - this.clock.now(), MAX_TIMER_MS)))
  }

  private disarm (): void {
    this.clock.clearTimer(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private fire (): void {
    this.disarm()
    const now = this.clock.now()
    const due = [...this.groups.keys()].filter((at) => at <= now).sort((a, b) => a - b)
    for (const at of due) {
      const group = this.groups.get(at)!
      this.groups.delete(at)
      for (const item of group) {
        item.expiryAt = undefined
        this.onDue(item)
      }
    }
    // `onDue` may have set items again, and armed the timer for them already.
    let next = Infinity
    for (const at of this.groups.keys()) next = Math.min(next, at)
    if (next < this.timerAt) this.arm(next)
  }
}
