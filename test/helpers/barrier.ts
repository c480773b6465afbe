import type { FastifyInstance } from 'fastify'
import { and, eq, isNull } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { members } from '../../src/db/schema.js'
import { Answers, buildFrame } from '../../src/protocol/events.js'
import { MARKER_PREFIX, type Frame, type TestClient } from './client.js'

let barriers = 0

/**
 * What the client has received and not taken, up to a ping round trip: the server answers a socket's
 * commands in order, so everything it sent this socket before it answered the ping is in, however slow
 * the machine. The negative checks ("nothing arrived") stand on it instead of a fixed sleep. Frames set
 * off by another socket's command are in too once that command was answered (delivery on one node is
 * done before the answer leaves). Presence events are announced after the login or disconnect that
 * caused them was answered: with `nodes`, those the nodes have queued so far are in too (`presenceBarrier`).
 */
export async function receivedSoFar (client: TestClient, nodes?: FastifyInstance | FastifyInstance[]): Promise<Frame[]> {
  if (nodes !== undefined) await presenceBarrier(nodes, [client], () => false)
  const requestId = `barrier-${++barriers}`
  client.send({ command: 'ping', requestId })
  await client.next((frame) => frame.command === 'pong' && frame.requestId === requestId)
  return client.pending()
}

const isPresence = (frame: Frame): boolean => frame.command === 'presence'

/**
 * Waits until the presence events that `nodes` have queued so far have reached `clients`, and takes the
 * ones that match `drop`, returning them per client. Each node's presence queue is waited out
 * (`presence.settled`), then every node sends each client's user a marker (a `pong` with a requestId of
 * its own, which the user's other devices ignore) through its publisher, the path presence events take.
 * A node's events on a user's channel arrive in the order it published them, on every broker, so
 * whatever presence a node sent before its marker is in once the marker is. Clients on nodes of other
 * processes are not reached.
 */
async function presenceBarrier (nodes: FastifyInstance | FastifyInstance[], clients: TestClient[], drop: (frame: Frame) => boolean): Promise<Frame[][]> {
  const apps = Array.isArray(nodes) ? nodes : [nodes]
  await Promise.all(apps.map((app) => app.presence.settled()))
  const requestId = `${MARKER_PREFIX}${++barriers}`
  const marker = buildFrame(Answers.ping, { serverTime: new Date().toISOString() }, requestId)
  const reached = clients.filter((client) => client.userId !== undefined && client.ws.readyState === client.ws.OPEN)
  for (const client of reached) client.markers.add(requestId)
  const userIds = [...new Set(reached.map((client) => client.userId!))]
  for (const app of apps) await app.publisher.toUsers(userIds, marker)
  const isMarker = (frame: Frame): boolean => frame.command === 'pong' && frame.requestId === requestId
  return Promise.all(clients.map(async (client) => {
    if (!reached.includes(client)) return []
    const dropped: Frame[] = []
    try {
      for (let index = 0; index < apps.length; index++) dropped.push(...await client.dropBefore(isMarker, drop))
    } finally {
      client.markers.delete(requestId)
    }
    return dropped
  }))
}

/**
 * The end of a test's setup: the presence events its logins (and logouts) set off are delivered to
 * `clients` and discarded, so that every presence event from here on is the test's to take, or is seen
 * by a negative check. A login is answered before its presence is announced (the announcement runs in the
 * presence queue), so without this they race with whatever the test does next. Only presence events that
 * arrived before the barrier go; any other frame stays. Clients on nodes of other processes are not
 * reached: take their presence events one by one (`TestClient.presence`). A discarded event must still be
 * news of another user who shares a room with the client's (as the database says now). Returns each
 * client's discarded events.
 */
export async function presenceSettled (nodes: FastifyInstance | FastifyInstance[], clients: TestClient[]): Promise<Frame[][]> {
  const dropped = await presenceBarrier(nodes, clients, isPresence)
  // Discarded, but not unseen: each is news of someone else who shares a room with the client's user.
  const { db } = Array.isArray(nodes) ? nodes[0]! : nodes
  for (const [index, events] of dropped.entries()) {
    const userId = clients[index]!.userId
    for (const event of events) {
      if (event.userId === userId) throw new Error(`user ${userId} was told of themselves: ${JSON.stringify(event)}`)
      const peer = alias(members, 'peer')
      const shared = await db.select({ roomId: members.roomId }).from(members)
        .innerJoin(peer, and(eq(peer.roomId, members.roomId), eq(peer.userId, event.userId), isNull(peer.leftAt)))
        .where(and(eq(members.userId, userId!), isNull(members.leftAt))).limit(1)
      if (shared.length === 0) throw new Error(`user ${userId} shares no room with the user they were told of: ${JSON.stringify(event)}`)
    }
  }
  return dropped
}

/**
 * Waits (up to `timeoutMs`) until `app` has handled the close of device `uuid` of `userId`: a client
 * sees its socket closed before the server's close handling has necessarily run, and that handling is
 * what queues an offline announcement. A condition, not a sleep.
 */
export async function deviceForgotten (app: FastifyInstance, userId: string | number, uuid: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (app.sessions.device(String(userId), uuid) !== undefined) {
    if (Date.now() > deadline) throw new Error(`device ${uuid} of ${userId} still held after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
