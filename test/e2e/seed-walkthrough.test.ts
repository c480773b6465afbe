import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, connectReal, failure, listen, receivedSoFar, tokenFor, useDatabase } from '../helpers.js'

const db = useDatabase()

test('the seed document\'s wscat walkthrough, frame for frame, over real sockets', async (t) => {
  const app = await build(t, db.database)
  const url = await listen(app)

  // 1-2. Connect and log in user 4, typed as the seed shows it (spaces and all).
  const first = await connectReal(url)
  first.send(`{"command": "user_login", "userId": 4, "token": "${tokenFor(app, 4)}", "uuid": "device-1"}`)
  const login4 = await first.next()
  assert.equal(login4.result, 'success')
  assert.equal(login4.user.userId, '4')
  assert.equal(login4.user.fullname, 'Nguyễn Văn A')

  // 3-4. Another terminal: user 14.
  const second = await connectReal(url)
  second.send(`{"command": "user_login", "userId": 14, "token": "${tokenFor(app, 14)}", "uuid": "device-2"}`)
  assert.equal((await second.next()).user.userId, '14')
  // User 4's terminal is told that 14, a member of room 1, came online.
  assert.deepEqual(await first.next(), { command: 'presence', userId: '14', online: true, lastSeenAt: null })

  // Someone logged in but in no room, to check that nothing leaks.
  const outsider = await connectReal(url)
  outsider.send(`{"command": "user_login", "userId": 15, "token": "${tokenFor(app, 15)}", "uuid": "device-3"}`)
  assert.equal((await outsider.next()).result, 'success')

  // 5-6. User 1 sends; both users receive the message.
  first.send('{"command": "user_message", "content": "Hello from User 1", "messageType": "TEXT", "roomId": 1}')
  const [ack, broadcast] = [await first.next(), await second.next()]
  for (const frame of [ack, broadcast]) {
    assert.equal(frame.command, 'user_message')
    assert.equal(frame.message.content, 'Hello from User 1')
    assert.equal(frame.message.roomId, '1')
    assert.equal(frame.message.messageType, 'TEXT')
    assert.equal(frame.message.media, null)
    assert.deepEqual(frame.message.sender, { userId: '4', fullname: 'Nguyễn Văn A', avatar: 'https://example.com/avatar.jpg', primaryRole: 'AGENT' })
    assert.deepEqual(frame.room, { roomId: '1', listingId: '123', title: 'Bán nhà mặt phố Hà Nội' })
  }
  assert.equal(ack.result, 'success')
  assert.equal(broadcast.result, undefined)

  // And back: user 14 answers with a picture.
  second.send('{"command": "user_message", "content": "Có gì trong bức hình này", "roomId": 1, "messageType": "IMAGE", "media": "https://example.com/image.jpg"}')
  const reply = await first.next()
  assert.equal(reply.message.media, 'https://example.com/image.jpg')
  assert.equal(reply.message.sender.userId, '14')
  assert.equal(reply.message.seq, ack.message.seq + 1)
  assert.equal((await second.next()).result, 'success')
  assert.deepEqual(await receivedSoFar(outsider), [])
})

test('the seed\'s error responses over a real socket: "Invalid token" and "Not authenticated"', async (t) => {
  const app = await build(t, db.database)
  const client = await connectReal(await listen(app))
  client.send('{"command": "user_login", "userId": 4, "token": "your-jwt-token-here", "uuid": "device-uuid-here"}')
  assert.deepEqual(await client.next(), failure('user_login', 'Invalid token', 'INVALID_TOKEN'))
  client.send('{"command": "user_message", "content": "Xin chào", "messageType": "TEXT", "roomId": 1}')
  assert.deepEqual(await client.next(), failure('user_message', 'Not authenticated', 'NOT_AUTHENTICATED'))
  assert.equal(client.ws.readyState, client.ws.OPEN)
})
