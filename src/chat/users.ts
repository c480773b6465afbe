import { eq } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { users, type UserRow } from '../db/schema.js'
import type { SenderProfile } from '../sessions/connection.js'

export async function findUser (db: Db, userId: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, userId)).limit(1)
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
