import type { Publisher } from '../broker/publisher.js'
import type { RoomView } from './rooms.js'
import { buildFrame, Events } from '../protocol/events.js'

/**
 * The room events. Each is published only after the change committed, to every current member's devices
 * (and to the user concerned), except the connection whose command caused it: that one has its answer.
 * Publishing never fails the command: the change is kept and answered (src/broker/publisher.ts).
 */
export async function publishRoomCreated (publisher: Publisher, room: RoomView, exceptConnection: string): Promise<void> {
  const memberIds = room.members.map((member) => member.userId)
  // The members' nodes subscribe to the new room first, so its first message finds them listening.
  await publisher.membership(room.roomId, memberIds, true)
  await publisher.toUsers(memberIds, buildFrame(Events.room_created, { room }), exceptConnection)
}

/** `room` is the room after the change, so the added user's client can show it at once. */
export async function publishMemberAdded (publisher: Publisher, room: RoomView, userId: string, addedBy: string, exceptConnection: string): Promise<void> {
  await publisher.membership(room.roomId, [userId], true)
  const frame = buildFrame(Events.room_member_added, { roomId: room.roomId, userId, addedBy, room })
  // The added user's nodes may not listen to the room yet: they hear it on the user's own channel.
  const others = room.members.map((member) => member.userId).filter((memberId) => memberId !== userId)
  await publisher.toRoom(room.roomId, others, frame, { origin: { connectionId: exceptConnection } })
  await publisher.toUsers([userId], frame, exceptConnection)
}

/** Goes to the remaining members and to the removed user; `removedBy` equals `userId` when they left. */
export async function publishMemberRemoved (publisher: Publisher, change: { roomId: string, userId: string, removedBy: string, memberIds: string[] }, exceptConnection: string): Promise<void> {
  const { roomId, userId, removedBy, memberIds } = change
  const frame = buildFrame(Events.room_member_removed, { roomId, userId, removedBy })
  await publisher.toRoom(roomId, memberIds, frame, { origin: { connectionId: exceptConnection } })
  // The removed user hears it on their own channel: their nodes stop listening to the room after it.
  await publisher.toUsers([userId], frame, exceptConnection)
  await publisher.membership(roomId, [userId], false)
}

/**
 * A room's event about its messages (edits, deletions, read markers, typing), built with `buildFrame`,
 * for the given members' devices; `exceptConnection`, when given, already has its answer.
 */
export function publishRoomEvent (publisher: Publisher, roomId: string, userIds: string[], frame: string, exceptConnection?: string): Promise<boolean> {
  return publisher.toRoom(roomId, userIds, frame, {
    ...(exceptConnection !== undefined && { origin: { connectionId: exceptConnection } })
  })
}
