import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import { attachments } from '../../src/db/schema.js'
import { findUser, toSenderProfile } from '../../src/chat/users.js'
import { messagesBetween } from '../../src/chat/room-catch-up.js'
import { build, loggedIn } from '../helpers.js'
import { addRoom } from '../conversation.js'
import { pdf, upload, uploadDir } from './files.js'
import { attachmentSuite, diskStorage } from './suite.js'

const db = attachmentSuite(diskStorage)

test('one attachment sent in two messages at once (one batch, two rooms): one message gets it, the other is "Not allowed"', async (t) => {
  const app = await build(t, db.database, { UPLOAD_DIR: uploadDir() })
  await addRoom(app, '2', { 4: 'OWNER', 15: 'MEMBER' })
  const agent = await loggedIn(app, 4)
  t.after(() => agent.close())
  const { attachmentId } = (await upload(app, pdf(), 'contract.pdf')).json()
  // Sent back to back, the two are stored in one batch: the check that sees both is the store's own.
  agent.send({ command: 'user_message', roomId: 1, messageType: 'FILE', attachmentId, requestId: 'a' })
  agent.send({ command: 'user_message', roomId: 2, messageType: 'FILE', attachmentId, requestId: 'b' })
  const first = await agent.next((frame) => frame.requestId === 'a')
  const second = await agent.next((frame) => frame.requestId === 'b')
  assert.deepEqual([first.result, second.result, second.code], ['success', 'failed', 'FORBIDDEN'])
  const [row] = await app.db.select().from(attachments).where(eq(attachments.id, attachmentId))
  assert.deepEqual([row!.roomId, row!.messageId], ['1', first.message.messageId])
})

test('the store holds an attachment to one message by itself: two submitted together, one is FORBIDDEN; a retry of the first is answered with it', async (t) => {
  const app = await build(t, db.database, { UPLOAD_DIR: uploadDir() })
  await addRoom(app, '2', { 4: 'OWNER', 15: 'MEMBER' })
  const { attachmentId } = (await upload(app, pdf(), 'contract.pdf')).json()
  const sender = toSenderProfile((await findUser(app.db, '4'))!)
  const message = (roomId: string, clientMessageId: string) => ({
    roomId, sender, content: null, messageType: 'FILE' as const, media: `/media/${attachmentId}`, clientMessageId, replyToMessageId: null, attachmentId
  })
  // The first batch takes the text alone; the two that arrive while it is stored go together in the next.
  const text = { ...message('1', 'm0'), messageType: 'TEXT' as const, content: 'Gửi hợp đồng', media: null, attachmentId: null }
  const [, first, second] = await Promise.all([text, message('1', 'm1'), message('2', 'm2')].map((input) => app.messageStore.submit(input)))
  assert.ok(first !== undefined && first.ok)
  assert.deepEqual(second, { ok: false, code: 'FORBIDDEN' })
  assert.equal(first.attachment?.id, attachmentId)
  const retry = await app.messageStore.submit(message('1', 'm1'))
  assert.ok(retry.ok && retry.duplicate)
  assert.equal(retry.attachment?.id, attachmentId)
})

test('a node that catches a room up from the database hands out the attachment too', async (t) => {
  const app = await build(t, db.database, { UPLOAD_DIR: uploadDir() })
  const agent = await loggedIn(app, 4)
  t.after(() => agent.close())
  const { attachmentId } = (await upload(app, pdf(), 'contract.pdf')).json()
  const sent = await agent.request({ command: 'user_message', roomId: 1, messageType: 'FILE', attachmentId })
  const { messages } = await messagesBetween(app.db, '1', { afterSeq: 0, uptoSeq: sent.message.seq }, 10, app.mediaLinks)
  const caught = messages.at(-1)!.body.message
  assert.equal(caught.attachment?.attachmentId, attachmentId)
  assert.equal(caught.media, caught.attachment?.url)
})

test('/metrics counts uploads by result and the bytes stored', async (t) => {
  const app = await build(t, db.database, { UPLOAD_DIR: uploadDir() })
  const stored = (await upload(app, pdf(), 'a.pdf')).json()
  assert.equal((await upload(app, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(64).fill(0)]), 'photo.jpg')).statusCode, 415)
  const text = (await app.inject({ url: '/metrics' })).body
  assert.match(text, /^chat_uploads_total\{result="success"\} 1$/m)
  assert.match(text, /^chat_uploads_total\{result="UNSUPPORTED_TYPE"\} 1$/m)
  assert.match(text, new RegExp(`^chat_uploaded_bytes_total ${stored.size}$`, 'm'))
})
