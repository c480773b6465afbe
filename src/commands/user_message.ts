import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString, Label, oneOfMessage, StringOrNull } from '../protocol/envelope.js'
import { CommandFailure, type FieldError } from '../protocol/errors.js'
import { answerError } from './dispatch.js'
import { attachmentOfPath, checkMessageText, checkText, mediaProblem } from '../chat/message-rules.js'
import { messageEventBody } from '../chat/wire.js'
import { findAttachment, toWireAttachment } from '../chat/attachments.js'
import { mediaPath } from '../chat/media-links.js'
import { mediaOrigins } from '../config.js'
import type { StoredMessage } from '../chat/message-store.js'
import { successFrame } from '../protocol/answers.js'
import { Answers } from '../protocol/events.js'
import { MESSAGE_TYPES } from '../protocol/wire-types.js'
import { defineCommand } from './types.js'

export const MessageType = Type.Union(MESSAGE_TYPES.map((value) => Type.Literal(value)), { errorMessage: oneOfMessage(MESSAGE_TYPES) })

export const UserMessage = commandSchema({
  roomId: Id,
  messageType: MessageType,
  content: Type.Optional(StringOrNull()),
  media: Type.Optional(StringOrNull()),
  clientMessageId: Type.Optional(Label()),
  replyToMessageId: Type.Optional(Id),
  // An upload of the sender's (POST /uploads) instead of a `media` URL.
  attachmentId: Type.Optional(Id)
})

/**
 * How long a stored message's acknowledgement may take through the broker before it is sent directly:
 * well past a gap fill (DELIVERY_GAP_WAIT_MS and a read), so that it fires only when an event was lost.
 */
const ackWaitMs = (gapWaitMs: number) => Math.max(2000, 10 * gapWaitMs)

/** True when `promise` settled within `ms`. */
async function within (promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([promise.then(() => true as const), timedOut])
  } finally {
    clearTimeout(timer)
  }
}

export default defineCommand({
  schema: UserMessage,
  answer: Answers.user_message,
  requiresAuth: true,
  failures: ['MISSING_FIELDS', 'INVALID_FORMAT', 'FORBIDDEN', 'ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'MESSAGE_NOT_FOUND'],
  pipelined: true,
  async handler (input, { app, conn, fail, release, reportFailure, session }) {
    const { config } = app
    const content = input.content ?? null
    const isText = input.messageType === 'TEXT'
    // Media is the point of IMAGE/VIDEO/FILE; a TEXT message carries none (a stray `media` or attachment
    // is dropped). An attachment stands in for `media`, and so does its /media/ path.
    let media = isText ? null : (input.media ?? null)
    const attachmentId = isText ? undefined : (input.attachmentId !== undefined ? idString(input.attachmentId) : attachmentOfPath(media))
    if (isText && content === null) fail('MISSING_FIELDS', [{ path: '/content', message: 'is required for TEXT messages' }])
    if (!isText && attachmentId === undefined && (media === null || media === '')) {
      fail('MISSING_FIELDS', [{ path: '/media', message: `is required for ${input.messageType} messages (or attachmentId)` }])
    }

    const errors: FieldError[] = []
    if (content !== null) {
      if (isText) checkMessageText('/content', content, config.MAX_MESSAGE_CHARS, errors)
      else checkText('/content', content, config.MAX_MESSAGE_CHARS, errors)
    }
    const mediaError = media === null || attachmentId !== undefined ? undefined : mediaProblem(media, config.NODE_ENV === 'production', mediaOrigins(config))
    if (mediaError !== undefined) errors.push({ path: '/media', message: mediaError })
    if (attachmentId !== undefined) {
      // Checked here for a clear answer; the store checks again, under the attachment's lock.
      const attachment = await findAttachment(app.db, attachmentId)
      if (attachment === undefined || attachment.ownerId !== session.userId || attachment.state !== 'ready' || attachment.messageId !== null) {
        fail('FORBIDDEN', [{ path: '/attachmentId', message: 'must be an upload of yours that was not sent yet' }])
      }
      if (attachment!.kind !== input.messageType) errors.push({ path: '/messageType', message: `must be ${attachment!.kind} for this attachment` })
      media = mediaPath(attachmentId, 'original')
    }
    if (errors.length > 0) fail('INVALID_FORMAT', errors)

    const { requestId } = input
    app.sessions.messagesIn++
    // The answer's place among the socket's answers is taken now, in arrival order.
    const slot = conn.answers.take()
    const answerWith = (result: StoredMessage) => successFrame(Answers.user_message, requestId, messageEventBody(result.row, session.profile, result.room,
      result.attachment === null ? undefined : toWireAttachment(result.attachment, app.mediaLinks)))
    const submitted = app.messageStore.submit({
      roomId: idString(input.roomId),
      sender: session.profile,
      content: content === '' && !isText ? null : content,
      messageType: input.messageType,
      media,
      clientMessageId: input.clientMessageId ?? null,
      replyToMessageId: input.replyToMessageId === undefined ? null : idString(input.replyToMessageId),
      attachmentId: attachmentId ?? null,
      receivedAt: Date.now(),
      // A new message is acknowledged through the broker with its broadcast; a retry of a stored one, or
      // a failure, is answered from here. The slot keeps them in the order the socket sent them.
      origin: { connectionId: conn.id, slot, requestId },
      answer: (stored) => conn.answers.fill(slot, stored.ok
        ? answerWith(stored)
        : answerError(app, conn, 'user_message', requestId, stored.code === 'INTERNAL' ? stored.error : new CommandFailure(stored.code)).answer!)
    })
    // The store keeps the order from here on: the socket's next message need not wait for this one.
    release()
    const result = await submitted
    if (!result.ok) reportFailure(result.code)
    // The command ends when its answer is out, so whatever the socket sent next is answered after it. An
    // acknowledgement the broker lost (it accepted the event and never delivered it) is sent from here.
    // Through the in-process broker it is out already: no timer for the common case.
    if (conn.answers.isSent(slot)) return undefined
    if (!await within(conn.answers.answered(slot), ackWaitMs(config.DELIVERY_GAP_WAIT_MS)) && result.ok) {
      app.log.warn({ connectionId: conn.id, messageId: result.row.id, roomId: result.row.roomId }, 'acknowledgement not delivered through the broker, sent directly')
      conn.answers.fill(slot, answerWith(result))
    }
    return undefined
  }
})
