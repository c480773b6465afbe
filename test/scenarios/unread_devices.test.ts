import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, receivedSoFar, useDatabase, type TestClient } from '../helpers.js'
import { onRealSockets } from '../conversation.js'

const db = useDatabase()


const unreadOf = async (client: TestClient): Promise<number> =>
  (await client.request({ command: 'room_list' })).rooms.find((room: { roomId: string }) => room.roomId === '1').unreadCount

test('reading on one device clears the badge on the other: message_read arrives, room_list shows 0', async (t) => {
  const app = await build(t, db.database)
  const { agent, phone, laptop, outsider } = (await onRealSockets(app, {
    agent: [4, 'agent'], phone: [14, 'phone'], laptop: [14, 'laptop'], outsider: [15, 'outsider']
  })).clients

  let last = ''
  for (const content of ['Chào chị', 'Nhà 4 tầng', 'Sổ đỏ chính chủ']) {
    last = (await agent.request({ command: 'user_message', roomId: 1, content, messageType: 'TEXT' })).message.messageId
  }
  for (const client of [phone, laptop]) {
    for (let i = 0; i < 3; i++) await client.next((frame) => frame.command === 'user_message')
  }
  assert.equal(await unreadOf(phone), 3)
  assert.equal(await unreadOf(laptop), 3)

  assert.equal((await phone.request({ command: 'message_read', roomId: 1, messageId: last })).result, 'success')
  const onLaptop = await laptop.next((frame) => frame.command === 'message_read')
  assert.equal(onLaptop.userId, '14')
  assert.equal(onLaptop.messageId, last)
  const onAgent = await agent.next((frame) => frame.command === 'message_read')
  assert.deepEqual(onAgent, onLaptop)
  assert.equal(await unreadOf(laptop), 0)
  assert.equal(await unreadOf(phone), 0)

  // A new message counts again on both devices; the reader's own replies never do.
  await agent.request({ command: 'user_message', roomId: 1, content: 'Chị xem nhà khi nào?', messageType: 'TEXT' })
  await laptop.request({ command: 'user_message', roomId: 1, content: 'Chiều mai', messageType: 'TEXT' })
  assert.equal(await unreadOf(phone), 1)
  assert.equal(await unreadOf(laptop), 1)

  const outsiderFrames = (await receivedSoFar(outsider)).map((frame) => frame.command)
  assert.deepEqual(outsiderFrames, [])
  for (const client of [agent, phone, laptop, outsider]) client.close()
})
