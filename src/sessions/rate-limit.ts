/** A token bucket: `ratePerS` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number
  private last: number
  private readonly ratePerMs: number
  private readonly burst: number

  constructor (ratePerS: number, burst: number) {
    this.ratePerMs = ratePerS / 1000
    this.burst = burst
    this.tokens = burst
    this.last = performance.now()
  }

  private refill (): void {
    const now = performance.now()
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerMs)
    this.last = now
  }

  /** Takes one token if there is one. */
  take (): boolean {
    this.refill()
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Spends tokens that may not be there: the debt is paid back by waiting (never more than one burst). */
  charge (cost: number): void {
    this.refill()
    this.tokens = Math.max(-this.burst, this.tokens - cost)
  }
}

/** What happens to one incoming frame: handled, answered "Rate limit exceeded", dropped unanswered, or the socket closed. */
export type Admission = 'run' | 'refuse' | 'drop' | 'close'

/**
 * The command budget of one connection. Commands spend the main bucket; typing indicators have their own,
 * and over it they are dropped without a word (the indicator is best-effort). Refused frames spend a
 * patience bucket twice the burst that refills at the same rate, so a client that keeps sending at
 * more than twice the limit runs out of patience and is closed with 4029, while a short overshoot is only refused.
 */
export class FrameBudget {
  private readonly commands: TokenBucket
  private readonly typing: TokenBucket
  private readonly patience: TokenBucket

  constructor (ratePerS: number, burst: number) {
    this.commands = new TokenBucket(ratePerS, burst)
    this.typing = new TokenBucket(ratePerS, burst)
    this.patience = new TokenBucket(ratePerS, burst * 2)
  }

  admit (isTyping: boolean): Admission {
    if (isTyping) return this.typing.take() ? 'run' : 'drop'
    if (this.commands.take()) return 'run'
    return this.patience.take() ? 'refuse' : 'close'
  }

  /** An extra cost after the fact (a failed login counts double). */
  charge (cost: number): void {
    this.commands.charge(cost)
  }
}
