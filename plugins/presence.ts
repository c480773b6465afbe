import { endReplacedSession } from '../src/sessions/lifecycle.js'
import fp from 'fastify-plugin'
import { presenceAudiences, recordLastSeen } from '../src/chat/presence.js'
import type { PresenceSource } from '../src/presence/types.js'
import { buildFrame, Events } from '../src/protocol/events.js'

declare module 'fastify' {
  interface FastifyInstance {
    presence: PresenceAnnouncer
  }
}

export interface PresenceAnnouncer {
  readonly source: PresenceSource
  /** The user's first device logged in: tell the people they share a room with. */
  cameOnline: (userId: string) => void
  /** The user's last device went away: store `last_seen_at`, then tell the people they share a room with. */
  wentOffline: (userId: string) => void
  /** Resolves once every change queued so far has been handed to the publisher (or failed and been logged). */
  settled: () => Promise<void>
}

/** A user's first device came online, or their last one went offline at `at`. */
type Change = { userId: string, online: true } | { userId: string, online: false, at: Date }

/** Changes handled together: a few statements for the lot, each of a bounded size. */
const MAX_BATCH = 500

export default fp(async (app) => {
  const { sessions, publisher, db } = app
  const source = app.presenceSource
  // Presence work runs in order, one batch at a time: a quick reconnect never overtakes the offline event
  // before it, and presence, a side matter, holds at most one database connection at a time. Changes
  // that come in while a batch runs make the next one, so a mass reconnect costs a few statements per
  // batch instead of a few round trips per user, and presence keeps up.
  const pending: Change[] = []
  let running = false
  let done: Promise<void> = Promise.resolve()

  const tell = async (batch: Change[]) => {
    const lastSeen = new Map<string, Date>()
    for (const change of batch) if (!change.online) lastSeen.set(change.userId, change.at)
    await recordLastSeen(db, lastSeen)
    // Back already (a reconnect), or the whole node is shutting down: nobody needs to hear it went away.
    const back = lastSeen.size > 0 ? await source.online([...lastSeen.keys()]) : new Set<string>()
    // Online on another node already: their peers were told then (several nodes).
    const elsewhere = new Set<string>()
    if (source.onlineElsewhere !== undefined) {
      for (const change of batch) if (change.online && await source.onlineElsewhere(change.userId)) elsewhere.add(change.userId)
    }
    const told = batch.filter((change) => change.online ? !elsewhere.has(change.userId) : !back.has(change.userId) && !sessions.closing)
    const audiences = await presenceAudiences(db, [...new Set(told.map((change) => change.userId))], app.config.PRESENCE_MAX_ROOM_MEMBERS)
    for (const change of told) {
      const peers = audiences.get(change.userId)
      if (peers === undefined) continue
      const lastSeenAt = change.online ? null : change.at.toISOString()
      const frame = buildFrame(Events.presence, { userId: change.userId, online: change.online, lastSeenAt })
      await publisher.toUsers(peers, frame)
    }
  }

  const run = async () => {
    while (pending.length > 0) {
      const batch = pending.splice(0, MAX_BATCH)
      try {
        await tell(batch)
      } catch (error) {
        app.log.warn({ err: error, changes: batch.length }, 'presence update failed')
      }
    }
    running = false
  }

  const queue = (change: Change) => {
    pending.push(change)
    if (running) return
    running = true
    done = run()
  }

  // A node that died took its goodbyes with it: the live node that notices tells those users' peers.
  source.onGone?.((userIds) => {
    const at = new Date()
    for (const userId of userIds) queue({ userId, online: false, at })
  })

  // A takeover published while Redis was away never reached the older session's node. Once Redis is back
  // (and again a renewal later, when every node has written its devices again), a device held here and
  // taken later on another node is closed as a takeover would have closed it.
  if (source.superseded !== undefined) {
    const superseded = source.superseded.bind(source)
    const closeSuperseded = async () => {
      for (const { userId, uuid } of await superseded()) {
        const conn = sessions.device(userId, uuid)
        if (conn !== undefined && !conn.closed) endReplacedSession(app.log, conn)
      }
    }
    const check = () => { closeSuperseded().catch((error: unknown) => { app.log.warn({ err: error }, 'superseded sessions check failed') }) }
    app.broker.onResume?.(() => {
      check()
      setTimeout(check, Math.ceil(app.config.PRESENCE_LEASE_MS / 3) + 100).unref()
    })
  }

  const settled = async () => { while (running) await done }

  app.decorate('presence', {
    source,
    cameOnline: (userId) => { queue({ userId, online: true }) },
    wentOffline: (userId) => { queue({ userId, online: false, at: new Date() }) },
    settled
  } satisfies PresenceAnnouncer)

  // Pending last-seen writes finish before the database closes.
  app.addHook('onClose', settled)
}, { name: 'presence', dependencies: ['db', 'engines', 'sessions'] })
