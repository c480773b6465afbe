import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, loggedIn, useDatabase } from '../helpers.js'
import { onRealSockets } from '../conversation.js'

const db = useDatabase()

test('a device that was offline syncs exactly the missed changes, once each, in change order', async (t) => {
  const app = await build(t, db.database)
  const { url, clients } = await onRealSockets(app, { agent: [4, 'agent-phone'], buyerPhone: [14, 'buyer-phone'] })
  const { agent } = clients
  let { buyerPhone } = clients

  const kept = await agent.request({ command: 'user_message', roomId: 1, content: 'trước khi mất sóng', messageType: 'TEXT' })
  const toEdit = await agent.request({ command: 'user_message', roomId: 1, content: 'giá 5 tỷ', messageType: 'TEXT' })
  const toDelete = await agent.request({ command: 'user_message', roomId: 1, content: 'số điện thoại cũ', messageType: 'TEXT' })
  let lastToken = ''
  for (let i = 0; i < 3; i++) lastToken = (await buyerPhone.next((frame) => frame.command === 'user_message')).syncToken

  // The buyer's phone loses its connection.
  buyerPhone.close()
  await buyerPhone.closedWithin()

  const newMessage = await agent.request({ command: 'user_message', roomId: 1, content: 'có khách khác hỏi', messageType: 'TEXT' })
  const edited = await agent.request({ command: 'message_edit', messageId: toEdit.message.messageId, content: 'giá 4,8 tỷ' })
  const deleted = await agent.request({ command: 'message_delete', messageId: toDelete.message.messageId })
  const editedNew = await agent.request({ command: 'message_edit', messageId: newMessage.message.messageId, content: 'có hai khách khác hỏi' })
  for (const answer of [newMessage, edited, deleted, editedNew]) assert.equal(answer.result, 'success')

  buyerPhone = await loggedIn(app, 14, 'buyer-phone', { url })
  const sync = await buyerPhone.request({ command: 'sync', since: lastToken })
  assert.equal(sync.hasMore, false)
  // Change order: the edit of toEdit, the deletion, then the new message in its edited state (its last change).
  assert.deepEqual(sync.messages.map((message: { messageId: string }) => message.messageId),
    [toEdit.message.messageId, toDelete.message.messageId, newMessage.message.messageId])
  assert.deepEqual(sync.messages[0], edited.message)
  assert.equal(sync.messages[1].content, null)
  assert.equal(sync.messages[1].deletedAt, deleted.deletedAt)
  assert.deepEqual(sync.messages[2], editedNew.message)
  assert.equal(sync.syncToken, editedNew.syncToken)
  assert.ok(!sync.messages.some((message: { messageId: string }) => message.messageId === kept.message.messageId))

  const again = await buyerPhone.request({ command: 'sync', since: sync.syncToken })
  assert.deepEqual(again.messages, [])
  assert.equal(again.syncToken, sync.syncToken)
  agent.close()
  buyerPhone.close()
})

test('live events carry the syncToken that covers them: a device following them needs no sync', async (t) => {
  const app = await build(t, db.database)
  const { agent, buyer } = (await onRealSockets(app, { agent: [4, 'agent-phone'], buyer: [14, 'buyer-phone'] })).clients
  const sent = await agent.request({ command: 'user_message', roomId: 1, content: 'x', messageType: 'TEXT' })
  await buyer.next((frame) => frame.command === 'user_message')
  await agent.request({ command: 'message_edit', messageId: sent.message.messageId, content: 'y' })
  const updated = await buyer.next((frame) => frame.command === 'message_updated')
  await agent.request({ command: 'message_delete', messageId: sent.message.messageId })
  const deleted = await buyer.next((frame) => frame.command === 'message_deleted')
  assert.ok(BigInt(deleted.syncToken) > BigInt(updated.syncToken))
  assert.deepEqual((await buyer.request({ command: 'sync', since: deleted.syncToken })).messages, [])
  assert.equal((await buyer.request({ command: 'sync', since: updated.syncToken })).messages.length, 1)
  agent.close()
  buyer.close()
})
