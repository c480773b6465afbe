/**
 * Baseline peer "forward": plain `ws` that relays each message to the room's members and stores
 * nothing. Membership comes from the file the benchmark wrote at start-up. It is the ceiling of Node
 * and `ws` on this machine: what any server that also stores messages can at best approach.
 */
import { readFileSync } from 'node:fs'
import { fanOut, failure, senderOf, startPeer } from './common.js'

const rooms = new Map<string, string[]>(Object.entries(JSON.parse(readFileSync(process.env.BENCH_ROOMS_FILE!, 'utf8')) as Record<string, string[]>))
let messageId = 0

startPeer({
  findUser: async (userId) => ({ userId, fullname: `Bench user ${userId}`, avatar: null, primaryRole: 'USER', email: null, phone: null, status: 'ACTIVE' }),
  message: async (from, request) => {
    const memberIds = rooms.get(request.roomId)
    if (memberIds === undefined || !memberIds.includes(from.user!.userId)) {
      from.socket.send(failure('user_message', memberIds === undefined ? 'ROOM_NOT_FOUND' : 'NOT_A_MEMBER', request.requestId))
      return
    }
    const message = {
      messageId: String(++messageId),
      content: request.content,
      roomId: request.roomId,
      messageType: request.messageType,
      media: null,
      createdAt: new Date().toISOString(),
      sender: senderOf(from.user!)
    }
    fanOut(from, memberIds, { message, room: { roomId: request.roomId, listingId: null, title: null } }, request.requestId)
  }
})
