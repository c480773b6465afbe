import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { members } from '../db/schema.js'
import { requireMember } from './membership.js'

/** How a room is muted for a member: until a time, until unmuted (`until` null), or not at all. */
export interface MuteState {
  muted: boolean
  until: Date | null
}

/**
 * Mutes a room for a member until `until`, until unmuted (`'until-unmuted'`), or unmutes it (null). A time
 * already past unmutes. Stored as members.muted_until: null = not muted, 'infinity' = until unmuted.
 */
export async function muteRoom (db: Db, roomId: string, userId: string, until: Date | 'until-unmuted' | null): Promise<MuteState> {
  await requireMember(db, roomId, userId)
  const state: MuteState = until === null || (until instanceof Date && until.getTime() <= Date.now())
    ? { muted: false, until: null }
    : { muted: true, until: until === 'until-unmuted' ? null : until }
  const stored = !state.muted ? sql`NULL` : state.until === null ? sql`'infinity'::timestamptz` : sql`${state.until.toISOString()}::timestamptz`
  await db.update(members).set({ mutedUntil: stored })
    .where(and(eq(members.roomId, roomId), eq(members.userId, userId), isNull(members.leftAt)))
  return state
}
