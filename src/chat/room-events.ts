import type { FastifyInstance } from 'fastify'

/**
 * Publishes one event of a room to the given members' devices (all nodes), serialized once. The
 * connection in `exceptConnection` already has its answer and is skipped.
 */
export function publishRoomEvent (app: FastifyInstance, roomId: string, userIds: string[], event: { command: string } & Record<string, unknown>, exceptConnection?: string): Promise<void> {
  return app.broker.publish({
    type: 'deliver',
    userIds,
    frame: JSON.stringify(event),
    roomId,
    ...(exceptConnection !== undefined && { exceptConnection })
  })
}
