/** A user's "is typing" reaches the others at most once per this many milliseconds per room. */
export const TYPING_INTERVAL_MS = 2000
/** Past this many remembered (user, room) pairs, stale ones are forgotten. */
const PRUNE_ABOVE = 10_000

/**
 * Decides which typing signals are forwarded: a start at most once per interval per user and room, a
 * stop always (and it clears the pair, so typing again right after shows at once). Never stored.
 */
export class TypingThrottle {
  private readonly lastForwarded = new Map<string, number>()
  private readonly intervalMs: number

  constructor (intervalMs = TYPING_INTERVAL_MS) {
    this.intervalMs = intervalMs
  }

  admit (userId: string, roomId: string, isTyping: boolean, now = Date.now()): boolean {
    const key = `${userId}:${roomId}`
    if (!isTyping) {
      this.lastForwarded.delete(key)
      return true
    }
    const last = this.lastForwarded.get(key)
    if (last !== undefined && now - last < this.intervalMs) return false
    if (this.lastForwarded.size >= PRUNE_ABOVE) this.prune(now)
    this.lastForwarded.set(key, now)
    return true
  }

  private prune (now: number): void {
    for (const [key, at] of this.lastForwarded) if (now - at >= this.intervalMs) this.lastForwarded.delete(key)
  }
}
