import { CloseCodes, LibraryCloseCodes, PeerCloseCodes } from '../protocol/close-codes.js'

/**
 * What the hot path touches: plain tallies and observers, no exporter. A command, a store batch or a
 * delivered event pays a Map increment (or a histogram bucket search when metrics are on), nothing
 * more; /metrics and the statistics log line read these same numbers when asked.
 */

/** Counts by a bounded key (a command name and result, a close code): never a user, room or free text. */
export class Counts {
  private readonly values = new Map<string, number>()

  inc (key: string, by = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }

  get (key: string): number {
    return this.values.get(key) ?? 0
  }

  get total (): number {
    let sum = 0
    for (const value of this.values.values()) sum += value
    return sum
  }

  entries (): IterableIterator<[string, number]> {
    return this.values.entries()
  }
}

/** Counts by two bounded labels (a command and its result), without building a key per increment. */
export class PairCounts {
  private readonly values = new Map<string, Counts>()

  inc (first: string, second: string): void {
    let inner = this.values.get(first)
    if (inner === undefined) this.values.set(first, inner = new Counts())
    inner.inc(second)
  }

  get total (): number {
    let sum = 0
    for (const inner of this.values.values()) sum += inner.total
    return sum
  }

  * entries (): IterableIterator<[string, string, number]> {
    for (const [first, inner] of this.values) for (const [second, value] of inner.entries()) yield [first, second, value]
  }
}

/** Count nothing: METRICS=off, for the benchmark's comparison. */
class NoCounts extends Counts {
  override inc (): void {}
}
class NoPairCounts extends PairCounts {
  override inc (): void {}
}

/** Takes one measurement (seconds, or a size) into a histogram. */
export interface Observer {
  observe: (value: number) => void
}

export const NO_OBSERVER: Observer = { observe: () => {} }

/** The histograms of the chat path; the exporter (prometheus.ts) makes real ones, METRICS=off no-ops. */
export interface ChatHistograms {
  /** Messages per store transaction. */
  storeBatchSize: Observer
  /** Seconds one store batch took, from its statement's submission to its rows. */
  storeSeconds: Observer
  /** Seconds from a message's receipt by the server to its delivery to this node's sockets. */
  deliverySeconds: Observer
  /** Seconds a statement waited for a connection of the PostgreSQL pool. */
  poolWaitSeconds: Observer
}

/** Close codes counted by their number; any other code a peer sends is `other` (labels stay bounded). */
const KNOWN_CLOSE_CODES = new Set<number>([...Object.values(CloseCodes), ...Object.values(LibraryCloseCodes), ...Object.values(PeerCloseCodes)])
export const closeLabel = (code: number): string => KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other'

/**
 * Every tally of one node. `enabled` false (METRICS=off) counts nothing but the statistics line's own
 * figures (messages in, frames out, which the session registry keeps anyway).
 */
export class ChatMetrics {
  readonly enabled: boolean
  /** `user_login` answers by result: `success` or the failure code. */
  readonly logins: Counts
  /** Answers by command and result; unknown names are `unknown`. */
  readonly commands: PairCounts
  /** Closes by close code (`closeLabel`). */
  readonly closes: Counts
  /** Frames the rate limit refused (`refuse`), dropped (`drop`, typing) or closed the socket for (`close`). */
  readonly rateLimited: Counts
  /** Messages stored (new rows, not retries of a stored one). */
  messagesStored = 0
  /** Store batches that failed, by failure code (UNAVAILABLE, INTERNAL). */
  readonly storeFailures: Counts
  /** Broker events received from the broker, by event type. */
  readonly brokerReceived: Counts
  /** Push sends by provider and result: sent, gone, retry, rejected or error. */
  readonly pushSends: PairCounts
  /** Uploads (POST /uploads and direct completions) by result: `success` or the failure code. */
  readonly uploads: Counts
  /** Bytes of the attachments stored (as kept: images after their metadata was removed). */
  uploadedBytes = 0
  readonly histograms: ChatHistograms

  constructor (enabled: boolean, histograms: ChatHistograms) {
    this.enabled = enabled
    const counts = () => enabled ? new Counts() : new NoCounts()
    this.logins = counts()
    const pairs = () => enabled ? new PairCounts() : new NoPairCounts()
    this.commands = pairs()
    this.closes = counts()
    this.rateLimited = counts()
    this.storeFailures = counts()
    this.brokerReceived = counts()
    this.pushSends = pairs()
    this.uploads = counts()
    this.histograms = histograms
  }
}

/** METRICS=off: no exporter, no histograms. */
export const disabledMetrics = (): ChatMetrics => new ChatMetrics(false, {
  storeBatchSize: NO_OBSERVER,
  storeSeconds: NO_OBSERVER,
  deliverySeconds: NO_OBSERVER,
  poolWaitSeconds: NO_OBSERVER
})
