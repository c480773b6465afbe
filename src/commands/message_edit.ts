import { Type } from '@sinclair/typebox'
import { commandSchema, Id, idString } from '../protocol/envelope.js'
import type { FieldError } from '../protocol/errors.js'
import { checkMessageText } from '../chat/message-rules.js'
import { editMessage } from '../chat/message-changes.js'
import { toWireMessage } from '../chat/wire.js'
import { publishRoomEvent } from '../chat/room-events.js'
import { Answers, buildFrame, Events } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const MessageEdit = commandSchema({
  messageId: Id,
  content: Type.String()
})

export default defineCommand({
  schema: MessageEdit,
  answer: Answers.message_edit,
  requiresAuth: true,
  failures: ['INVALID_FORMAT', 'MESSAGE_NOT_FOUND', 'FORBIDDEN', 'EDIT_WINDOW_PASSED'],
  async handler (input, { app, conn, fail, session }) {
    const errors: FieldError[] = []
    checkMessageText('/content', input.content, app.config.MAX_MESSAGE_CHARS, errors)
    if (errors.length > 0) fail('INVALID_FORMAT', errors)
    const edited = await editMessage(app.db, {
      messageId: idString(input.messageId),
      userId: session.userId,
      content: input.content,
      editWindowMs: app.config.EDIT_WINDOW_MS
    })
    // Only the sender edits, so the sender's profile is this session's.
    const body = { message: toWireMessage(edited.row, session.profile), syncToken: edited.row.changeSeq }
    app.log.info({ messageId: edited.row.id, roomId: edited.row.roomId, senderId: session.userId }, 'message edited')
    await publishRoomEvent(app.publisher, edited.row.roomId, edited.recipients, buildFrame(Events.message_updated, body), conn.id)
    return body
  }
})
