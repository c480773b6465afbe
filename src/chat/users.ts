import { and, eq, ne, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { perDatabase } from '../db/per-database.js'
import { users, type UserRow } from '../db/schema.js'
import type { SenderProfileShape } from '../protocol/wire-types.js'

/** The public profile of a user, as it appears in `sender` objects. */
export type SenderProfile = SenderProfileShape

const userById = perDatabase((db) => db.select().from(users)
  .where(eq(users.id, sql.placeholder('userId'))).limit(1)
  .prepare('user_by_id'))

const inactiveAmong = perDatabase((db) => db.select({ id: users.id }).from(users)
  .where(and(sql`${users.id} = ANY (${sql.placeholder('userIds')}::bigint[])`, ne(users.status, 'ACTIVE')))
  .prepare('inactive_users_among'))

/** The users of `userIds` whose status is not ACTIVE (banned or deactivated): one indexed query. */
export async function inactiveUsers (db: Db, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return []
  const rows = await inactiveAmong(db).execute({ userIds: `{${userIds.join(',')}}` })
  return rows.map((row) => row.id)
}

export async function findUser (db: Db, userId: string): Promise<UserRow | undefined> {
  const [row] = await userById(db).execute({ userId })
  return row
}

/** The `user` object of a successful login, exactly as the seed document shows it. */
export const toLoginUser = (user: UserRow) => ({
  userId: user.id,
  fullname: user.fullname,
  email: user.email,
  phone: user.phone,
  avatar: user.avatar,
  primaryRole: user.primaryRole,
  status: user.status
})

export const toSenderProfile = (user: Pick<UserRow, 'id' | 'fullname' | 'avatar' | 'primaryRole'>): SenderProfile => ({
  userId: user.id,
  fullname: user.fullname,
  avatar: user.avatar,
  primaryRole: user.primaryRole
})
