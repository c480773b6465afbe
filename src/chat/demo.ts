import { sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { chatRooms, listings, members, users } from '../db/schema.js'

/** The demo data of the seed document: the users, listing and room its wscat walkthrough uses. */
export const DEMO_USERS = [
  { id: '4', fullname: 'Nguyễn Văn A', email: 'user@example.com', phone: '+84123456789', avatar: 'https://example.com/avatar.jpg', primaryRole: 'AGENT', status: 'ACTIVE' },
  { id: '14', fullname: 'Trần Thị B', email: 'tran.thi.b@example.com', phone: '+84987654321', avatar: 'https://example.com/avatar-b.jpg', primaryRole: 'USER', status: 'ACTIVE' },
  { id: '15', fullname: 'Lê Văn C', email: 'le.van.c@example.com', phone: '+84911222333', avatar: null, primaryRole: 'USER', status: 'ACTIVE' },
  { id: '16', fullname: 'Phạm Văn D', email: 'pham.van.d@example.com', phone: null, avatar: null, primaryRole: 'USER', status: 'BANNED' }
] as const

export const DEMO_LISTING = { id: '123', title: 'Bán nhà mặt phố Hà Nội', agentId: '4' }
export const DEMO_ROOM = { id: '1', listingId: '123', buyerId: '14', createdBy: '14' }

/** Writes the demo data; running it again changes nothing. */
export async function seedDemoData (db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(users).values(DEMO_USERS.map((user) => ({ ...user }))).onConflictDoNothing()
    await tx.insert(listings).values(DEMO_LISTING).onConflictDoNothing()
    await tx.insert(chatRooms).values(DEMO_ROOM).onConflictDoNothing()
    await tx.insert(members).values([
      { roomId: '1', userId: '4', role: 'MEMBER' },
      { roomId: '1', userId: '14', role: 'OWNER' }
    ]).onConflictDoNothing()
    // Explicit ids were written: move the id sequences past them so new rows do not collide.
    for (const table of ['users', 'listings', 'chat_rooms']) {
      await tx.execute(sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), GREATEST((SELECT MAX(id) FROM ${sql.identifier(table)}), 1000))`)
    }
  })
}

export async function isEmpty (db: Db): Promise<boolean> {
  const rows = await db.select({ id: users.id }).from(users).limit(1)
  return rows.length === 0
}
