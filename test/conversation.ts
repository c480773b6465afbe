import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { chatRooms, members, messages } from '../src/db/schema.js'
import { eq, sql } from 'drizzle-orm'
import { listen, loggedIn, loggedInAll, presenceSettled, receivedSoFar, type Frame, type TestClient } from './helpers.js'

/** A room without a listing holding the given members (the demo room 1 holds 4 and 14, 14 the owner). */
export async function addRoom (app: FastifyInstance, roomId: string, memberRoles: Record<string, 'OWNER' | 'MEMBER'>): Promise<void> {
  await app.db.insert(chatRooms).values({ id: roomId, title: `Room ${roomId}` })
  await app.db.insert(members).values(Object.entries(memberRoles).map(([userId, role]) => ({ roomId, userId, role })))
}

/** Sends a TEXT message and returns the stored message from the acknowledgement. */
export async function say (client: TestClient, roomId: string | number, content: string): Promise<Frame> {
  const answer = await client.request({ command: 'user_message', roomId, content, messageType: 'TEXT' })
  assert.equal(answer.result, 'success', JSON.stringify(answer))
  return answer.message
}

/**
 * The agent 4, the buyer 14 (room 1's owner) and the outsider 15, each logged in on one device; the
 * presence events of these logins are delivered and discarded (`loggedInAll`).
 */
export async function demoPeople (app: FastifyInstance) {
  const [agent, buyer, outsider] = await loggedInAll(app, [4, 14, 15])
  return { agent, buyer, outsider }
}

/**
 * Asserts that nothing (or nothing of `command`) has arrived at any of the clients, up to a ping round
 * trip on each (receivedSoFar): no fixed sleep that a slow machine outlasts.
 */
export async function assertQuiet (clients: TestClient[], command?: string): Promise<void> {
  for (const client of clients) {
    const frames = (await receivedSoFar(client)).filter((frame) => command === undefined || frame.command === command)
    assert.deepEqual(frames, [])
  }
}

/** The stored row of a message, as the database holds it. */
export async function storedMessage (app: FastifyInstance, messageId: string) {
  const [row] = await app.db.select().from(messages).where(eq(messages.id, messageId))
  return row
}

/** Moves a message's creation time back (edit-window tests). */
export async function ageMessage (app: FastifyInstance, messageId: string, ms: number): Promise<void> {
  await app.db.update(messages).set({ createdAt: sql`now() - make_interval(secs => ${ms / 1000})` }).where(eq(messages.id, messageId))
}

/**
 * Listens on a real port and logs in one device per entry ([userId, uuid]); `url` serves reconnects. The
 * presence events of these logins are delivered and discarded (`presenceSettled`).
 */
export async function onRealSockets<K extends string> (app: FastifyInstance, devices: Record<K, [number, string]>): Promise<{ url: string, clients: Record<K, TestClient> }> {
  const url = await listen(app)
  const clients = {} as Record<K, TestClient>
  for (const name of Object.keys(devices) as K[]) {
    const [userId, uuid] = devices[name]
    clients[name] = await loggedIn(app, userId, uuid, { url })
  }
  await presenceSettled(app, Object.values(clients))
  return { url, clients }
}
