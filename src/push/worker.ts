import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../db/client.js'
import { forgetDeadRegistration } from '../chat/push-registrations.js'
import type { PresenceSource } from '../presence/types.js'
import { attentionOf } from './attention.js'
import { backoffMs, CircuitBreaker } from './breaker.js'
import { claimDue, finish, pruneOutbox, renewLease, reschedule, targetsOf, unreadTotals, type ClaimedPush } from './outbox.js'
import { clearNotification, messageNotification } from './render.js'
import type { PushSenders } from './senders.js'
import type { PushProvider, PushTarget } from './types.js'

export interface PushWorkerSettings {
  delayMs: number
  ttlSeconds: number
  maxAttempts: number
  retryBaseMs: number
  leaseMs: number
  /** The senders' own limit per request; shorter than the lease. */
  sendTimeoutMs: number
  pollMs: number
  breakerThreshold: number
  breakerCooldownMs: number
}

/** Rows taken per claim. */
const CLAIM_BATCH = 20
/** Finished rows are kept this long (a clear looks for what was pushed), then deleted. */
export const FINISHED_RETENTION_MS = 24 * 3600_000
const PRUNE_EVERY_MS = 60_000

/** What became of one row's devices in one pass; `lost` when its lease went to another worker. */
interface Pass { done: string[], retryAt: number | undefined, failedAttempt: boolean, sent: number, lost: boolean }

/** A claimed row and when its lease was last set (taken before the statement, so never later than the database's). */
interface Held { row: ClaimedPush, leasedAt: number }

/**
 * Sends what the outbox holds. Each pass claims due rows, checks them again against the database and
 * the presence of their user, sends to each of the user's devices, and finishes or reschedules the row.
 */
export class PushWorker {
  private readonly token = randomUUID()
  private readonly breakers = new Map<PushProvider, CircuitBreaker>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false
  private lastPrune = 0

  constructor (
    private readonly db: Db,
    private readonly senders: PushSenders,
    private readonly presence: PresenceSource,
    private readonly settings: PushWorkerSettings,
    private readonly log: FastifyBaseLogger
  ) {}

  start (): void {
    this.schedule(0)
  }

  /** Something became due (a message was stored here): look now instead of at the next poll. */
  wake (): void {
    if (this.stopped) return
    if (this.running !== undefined) this.again = true
    else this.schedule(0)
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  private schedule (ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { this.running ??= this.loop() }, ms).unref()
  }

  private async loop (): Promise<void> {
    try {
      do {
        this.again = false
        while (!this.stopped && await this.pass() === CLAIM_BATCH) { /* a full batch: more may be due */ }
      } while (this.again && !this.stopped)
      if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) await this.prune()
    } catch (error) {
      this.log.warn({ err: error }, 'push worker pass failed')
    } finally {
      this.running = undefined
      if (!this.stopped) this.schedule(this.settings.pollMs)
    }
  }

  private async prune (): Promise<void> {
    this.lastPrune = Date.now()
    const pruned = await pruneOutbox(this.db, this.settings.ttlSeconds, FINISHED_RETENTION_MS)
    if (pruned.expired + pruned.deleted > 0) this.log.info(pruned, 'push outbox pruned')
  }

  /** One claim and its sends; how many rows it took. */
  async pass (): Promise<number> {
    const leasedAt = Date.now()
    const rows = await claimDue(this.db, CLAIM_BATCH, this.settings.leaseMs, this.token)
    if (rows.length === 0) return 0
    const userIds = [...new Set(rows.map((row) => row.userId))]
    const [targets, badges] = await Promise.all([targetsOf(this.db, userIds), unreadTotals(this.db, userIds)])
    await Promise.all(rows.map(async (row) => {
      try {
        await this.handle({ row, leasedAt }, targets.get(row.userId) ?? [], badges.get(row.userId) ?? 0)
      } catch (error) {
        // The lease runs out and another pass takes the row again.
        this.log.warn({ err: error, pushId: row.id }, 'push failed unexpectedly')
      }
    }))
    return rows.length
  }

  private async handle (held: Held, allTargets: PushTarget[], badge: number): Promise<void> {
    const { settings } = this
    const { row } = held
    if (row.kind === 'message') {
      const stale = Date.now() - row.createdAtMs > settings.ttlSeconds * 1000
      if (stale) return this.close(row, 'expired', row.doneDevices)
      if (row.messageType === null || row.deleted || !row.member || row.read || row.muted) return this.close(row, 'skipped', row.doneDevices)
      const seen = await attentionOf(this.presence, row.userId, row.roomId)
      if (seen === 'focused') return this.close(row, 'skipped', row.doneDevices)
      const delayedUntil = row.createdAtMs + settings.delayMs
      if (seen === 'connected' && Date.now() < delayedUntil) {
        await reschedule(this.db, row.id, this.token, delayedUntil, row.doneDevices, false)
        return
      }
    }
    const targets = allTargets.filter((target) => !row.doneDevices.includes(target.deviceUuid) && target.deviceUuid !== row.exceptDevice)
    const pass = await this.sendAll(held, targets, badge)
    if (pass.lost) return
    if (pass.retryAt === undefined) return this.close(row, pass.sent > 0 || row.doneDevices.length > 0 ? 'sent' : 'skipped', pass.done)
    if (pass.failedAttempt && row.attempts + 1 >= settings.maxAttempts) {
      this.log.warn({ pushId: row.id, userId: row.userId, attempts: row.attempts + 1 }, 'push given up')
      return this.close(row, 'failed', pass.done)
    }
    await reschedule(this.db, row.id, this.token, pass.retryAt, pass.done, pass.failedAttempt)
  }

  private async close (row: ClaimedPush, state: 'sent' | 'skipped' | 'expired' | 'failed', done: string[]): Promise<void> {
    if (!await finish(this.db, row.id, this.token, state, done)) {
      this.log.warn({ pushId: row.id }, 'push lease lost before the row was finished')
    }
  }

  /**
   * A send starts only with most of a lease left, so it ends (or times out) while the row is still this
   * worker's: rows of a claim that waited their turn renew their lease first, or are left to the worker
   * that took them over.
   */
  private async stillHeld (held: Held): Promise<boolean> {
    const { leaseMs, sendTimeoutMs } = this.settings
    // Renewed once less than the send timeout plus half the slack is left: a send then always ends with
    // time to spare for marking the row.
    if (Date.now() - held.leasedAt < (leaseMs - sendTimeoutMs) / 2) return true
    const leasedAt = Date.now()
    if (!await renewLease(this.db, held.row.id, this.token, leaseMs)) return false
    held.leasedAt = leasedAt
    return true
  }

  private async sendAll (held: Held, targets: PushTarget[], badge: number): Promise<Pass> {
    const { row } = held
    const pass: Pass = { done: [...row.doneDevices], retryAt: undefined, failedAttempt: false, sent: 0, lost: false }
    const later = (at: number) => { pass.retryAt = Math.min(pass.retryAt ?? at, at) }
    for (const target of targets) {
      const sender = this.senders[target.provider]
      if (sender === undefined) { pass.done.push(target.deviceUuid); continue }
      const breaker = this.breakerOf(target.provider)
      if (!await this.stillHeld(held)) {
        this.log.warn({ pushId: row.id }, 'push lease lost before sending: left to the worker holding it')
        pass.lost = true
        return pass
      }
      if (!breaker.allow()) { later(breaker.reopensAt); continue }
      const notification = row.kind === 'clear'
        ? clearNotification(row.roomId, row.messageId, badge, this.settings.ttlSeconds)
        : messageNotification({
          roomId: row.roomId,
          messageId: row.messageId,
          messageType: row.messageType!,
          content: row.content,
          senderName: row.senderName ?? '',
          roomTitle: row.roomTitle
        }, target, sender, badge, this.settings.ttlSeconds)
      const outcome = await sender.send(target, notification)
      const facts = { pushId: row.id, userId: row.userId, deviceUuid: target.deviceUuid, provider: target.provider, kind: row.kind }
      if (outcome.kind === 'retry') {
        breaker.failed()
        pass.failedAttempt = true
        later(Date.now() + Math.max(outcome.retryAfterMs ?? 0, backoffMs(row.attempts + 1, this.settings.retryBaseMs)))
        this.log.info({ ...facts, status: outcome.status }, 'push to retry')
        continue
      }
      breaker.succeeded()
      pass.done.push(target.deviceUuid)
      if (outcome.kind === 'sent') {
        pass.sent++
        this.log.debug(facts, 'push sent')
      } else if (outcome.kind === 'gone') {
        await forgetDeadRegistration(this.db, target.userId, target.deviceUuid, target.address)
        this.log.info({ ...facts, status: outcome.status }, 'push registration gone: deleted')
      } else {
        this.log.warn({ ...facts, status: outcome.status }, 'push refused')
      }
    }
    return pass
  }

  private breakerOf (provider: PushProvider): CircuitBreaker {
    let breaker = this.breakers.get(provider)
    if (breaker === undefined) {
      breaker = new CircuitBreaker(this.settings.breakerThreshold, this.settings.breakerCooldownMs)
      this.breakers.set(provider, breaker)
    }
    return breaker
  }
}
