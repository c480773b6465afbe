/** What happens to one incoming frame: handled, answered "Rate limit exceeded", dropped unanswered, or the socket closed. */
export type Admission = 'run' | 'refuse' | 'drop' | 'close'

/**
 * The command budget of one connection: token buckets of `ratePerS` tokens a second. Commands spend the
 * main bucket (at most `burst` saved up); typing indicators have their own, and over it they are dropped
 * without a word (the indicator is best-effort). Refused frames spend a patience bucket twice the burst
 * that refills at the same rate, so a client that keeps sending at more than twice the limit runs out of
 * patience and is closed with 4029, while a short overshoot is only refused.
 *
 * The three buckets are three numbers of one object, refilled together from one clock reading (a bucket
 * ends up as full whether it is refilled once or in several steps): an object per bucket is memory for
 * nothing at tens of thousands of idle sockets.
 */
export class FrameBudget {
  private commands: number
  private typing: number
  private patience: number
  private last: number
  private readonly ratePerMs: number
  private readonly burst: number

  constructor (ratePerS: number, burst: number) {
    this.ratePerMs = ratePerS / 1000
    this.burst = burst
    this.commands = burst
    this.typing = burst
    this.patience = burst * 2
    this.last = performance.now()
  }

  private refill (): void {
    const now = performance.now()
    const gained = (now - this.last) * this.ratePerMs
    this.last = now
    this.commands = Math.min(this.burst, this.commands + gained)
    this.typing = Math.min(this.burst, this.typing + gained)
    this.patience = Math.min(this.burst * 2, this.patience + gained)
  }

  admit (isTyping: boolean): Admission {
    this.refill()
    if (isTyping) {
      if (this.typing < 1) return 'drop'
      this.typing -= 1
      return 'run'
    }
    if (this.commands >= 1) {
      this.commands -= 1
      return 'run'
    }
    if (this.patience < 1) return 'close'
    this.patience -= 1
    return 'refuse'
  }

  /** An extra cost after the fact (a failed login counts double): a debt paid back by waiting, never more than one burst. */
  charge (cost: number): void {
    this.refill()
    this.commands = Math.max(-this.burst, this.commands - cost)
  }
}
