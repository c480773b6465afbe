/**
 * A circuit breaker per provider: after `threshold` failures in a row the provider is left alone for
 * `cooldownMs`, then one push tries it again. A provider that is down then costs one request per
 * cooldown instead of a retry storm, and the other provider's pushes go on.
 */
export class CircuitBreaker {
  private failures = 0
  private openUntil = 0
  private probing = false

  constructor (private readonly threshold: number, private readonly cooldownMs: number, private readonly now: () => number = Date.now) {}

  /** Whether a push may go out now; in the half-open state only one at a time. */
  allow (): boolean {
    if (this.failures < this.threshold) return true
    if (this.now() < this.openUntil || this.probing) return false
    this.probing = true
    return true
  }

  /** When a refused push should be looked at again. */
  get reopensAt (): number {
    return this.openUntil
  }

  succeeded (): void {
    this.failures = 0
    this.probing = false
  }

  failed (): void {
    this.failures++
    this.probing = false
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.cooldownMs
  }

  get open (): boolean {
    return this.failures >= this.threshold
  }
}

/** Exponential backoff with a little jitter, so rows that failed together do not come back together. */
export function backoffMs (attempt: number, baseMs: number, maxMs = 15 * 60_000): number {
  const plain = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(plain * (1 + Math.random() * 0.1))
}
