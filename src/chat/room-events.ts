import type { Broker } from '../broker/events.js'
import type { RoomView } from './rooms.js'

/**
 * The room events. Each is published only after the change committed, to every current member's devices
 * (and to the user concerned), except the connection whose command caused it: that one has its answer.
 */
export function publishRoomCreated (broker: Broker, room: RoomView, exceptConnection: string): Promise<void> {
  return deliver(broker, room.members.map((member) => member.userId), { command: 'room_created', room }, exceptConnection)
}

/** `room` is the room after the change, so the added user's client can show it at once. */
export function publishMemberAdded (broker: Broker, room: RoomView, userId: string, addedBy: string, exceptConnection: string): Promise<void> {
  const frame = { command: 'room_member_added', roomId: room.roomId, userId, addedBy, room }
  return deliver(broker, room.members.map((member) => member.userId), frame, exceptConnection)
}

/** Goes to the remaining members and to the removed user; `removedBy` equals `userId` when they left. */
export function publishMemberRemoved (broker: Broker, change: { roomId: string, userId: string, removedBy: string, memberIds: string[] }, exceptConnection: string): Promise<void> {
  const { roomId, userId, removedBy, memberIds } = change
  return deliver(broker, [...memberIds, userId], { command: 'room_member_removed', roomId, userId, removedBy }, exceptConnection)
}

/**
 * A room's event about its messages (edits, deletions, read markers, typing) for the given members'
 * devices; `exceptConnection`, when given, already has its answer.
 */
export function publishRoomEvent (broker: Broker, roomId: string, userIds: string[], frame: { command: string } & Record<string, unknown>, exceptConnection?: string): Promise<void> {
  return deliver(broker, userIds, frame, exceptConnection, roomId)
}

function deliver (broker: Broker, userIds: string[], frame: Record<string, unknown>, exceptConnection?: string, roomId?: string): Promise<void> {
  return broker.publish({
    type: 'deliver',
    userIds: [...new Set(userIds)],
    frame: JSON.stringify(frame),
    ...(exceptConnection !== undefined && { exceptConnection }),
    ...(roomId !== undefined && { roomId })
  })
}
