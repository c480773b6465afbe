import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { commandSchema, Id, idString } from '../protocol/envelope.js'
import { currentMemberIds } from '../chat/rooms.js'
import { TypingThrottle } from '../chat/typing.js'
import { publishRoomEvent } from '../chat/room-events.js'
import { buildFrame, Events } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const Typing = commandSchema({
  roomId: Id,
  isTyping: Type.Boolean()
})

// One throttle per app instance (tests run several apps in one process).
const throttles = new WeakMap<FastifyInstance, TypingThrottle>()
const throttleOf = (app: FastifyInstance): TypingThrottle => {
  let throttle = throttles.get(app)
  if (throttle === undefined) {
    throttle = new TypingThrottle()
    throttles.set(app, throttle)
  }
  return throttle
}

/** Fire-and-forget: no answer on success; only a caller outside the room hears back. */
export default defineCommand({
  schema: Typing,
  requiresAuth: true,
  failures: ['NOT_A_MEMBER'],
  // Indicators have a budget of their own and are dropped unanswered over it: best-effort.
  budget: 'quiet',
  async handler (input, { app, fail, session }) {
    const userId = session.userId
    const roomId = idString(input.roomId)
    // One index range read gives both the membership check and the recipients.
    const memberIds = await currentMemberIds(app.db, roomId)
    if (!memberIds.includes(userId)) fail('NOT_A_MEMBER')
    if (!throttleOf(app).admit(userId, roomId, input.isTyping)) return undefined
    const others = memberIds.filter((memberId) => memberId !== userId)
    await publishRoomEvent(app.publisher, roomId, others, buildFrame(Events.typing, { roomId, userId, isTyping: input.isTyping }))
    return undefined
  }
})
