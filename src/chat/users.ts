import { eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { perDatabase } from '../db/per-database.js'
import { users, type UserRow } from '../db/schema.js'

/** The public profile of a user, as it appears in `sender` objects. */
export interface SenderProfile {
  userId: string
  fullname: string
  avatar: string | null
  primaryRole: string
}

const userById = perDatabase((db) => db.select().from(users)
  .where(eq(users.id, sql.placeholder('userId'))).limit(1)
  .prepare('user_by_id'))

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
