import fp from 'fastify-plugin'
import { presenceAudience, recordLastSeen, type PresenceSource } from '../src/chat/presence.js'

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
}

export default fp(async (app) => {
  const { sessions, broker, db } = app
  // One node: online means a session in this node's registry.
  const source: PresenceSource = {
    online: async (userIds) => new Set(userIds.filter((userId) => sessions.isOnline(userId)))
  }
  // One queue for all presence work: a quick reconnect never overtakes the offline event before it, and
  // presence, a side matter, holds at most one database connection at a time.
  let queue: Promise<void> = Promise.resolve()
  const inOrder = (userId: string, task: () => Promise<void>) => {
    queue = queue.then(task).catch((error: unknown) => {
      app.log.warn({ err: error, userId }, 'presence update failed')
    })
  }
  const announce = async (userId: string, online: boolean, lastSeenAt: Date | null) => {
    const peers = await presenceAudience(db, userId, app.config.PRESENCE_MAX_ROOM_MEMBERS)
    if (peers.length === 0) return
    const frame = JSON.stringify({ command: 'presence', userId, online, lastSeenAt: lastSeenAt?.toISOString() ?? null })
    await broker.publish({ type: 'deliver', userIds: peers, frame })
  }

  app.decorate('presence', {
    source,
    cameOnline: (userId) => { inOrder(userId, () => announce(userId, true, null)) },
    wentOffline: (userId) => {
      const at = new Date()
      inOrder(userId, async () => {
        await recordLastSeen(db, userId, at)
        // Back already (a reconnect), or the whole node is shutting down: nobody needs to hear it.
        if ((await source.online([userId])).has(userId) || sessions.closing) return
        await announce(userId, false, at)
      })
    }
  } satisfies PresenceAnnouncer)

  // Pending last-seen writes finish before the database closes.
  app.addHook('onClose', async () => { await queue })
}, { name: 'presence', dependencies: ['db', 'broker', 'sessions'] })
