import { test } from 'node:test'
import assert from 'node:assert/strict'
import { and, eq, isNull } from 'drizzle-orm'
import { members, users } from '../../src/db/schema.js'
import { addRoom } from '../conversation.js'
import { build, connect, loggedInAll, receivedSoFar, useDatabase, type TestClient } from '../helpers.js'

const db = useDatabase()

const failed = (command: string, reason: string, code: string) => ({ command, result: 'failed', reason, code })
const say = (client: TestClient, content: string, roomId: number | string = 1) =>
  client.request({ command: 'user_message', roomId, content, messageType: 'TEXT' })

test('the owner adds a user: they and the members are told, with the room; the newcomer then receives messages', async (t) => {
  const app = await build(t, db.database)
  await app.db.insert(users).values({ id: '20', fullname: 'Ngô Văn E' })
  const [owner, agentDevice, newcomer, ownerTablet, outsider] = await loggedInAll(app, [14, 4, 15, [14, 'tablet'], 20])

  const answer = await owner.request({ command: 'room_add_member', roomId: 1, userId: '15', requestId: 'add' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.requestId, 'add')
  assert.deepEqual(answer.room.members.map((m: { userId: string, role: string }) => `${m.userId}:${m.role}`), ['4:MEMBER', '14:OWNER', '15:MEMBER'])
  const event = { command: 'room_member_added', roomId: '1', userId: '15', addedBy: '14', room: answer.room }
  assert.deepEqual(await newcomer.next((f) => f.command === 'room_member_added'), event)
  assert.deepEqual(await agentDevice.next((f) => f.command === 'room_member_added'), event)
  assert.deepEqual(await ownerTablet.next((f) => f.command === 'room_member_added'), event)
  assert.deepEqual(await receivedSoFar(owner), [])

  await say(agentDevice, 'Chào bạn mới')
  assert.equal((await newcomer.next((f) => f.command === 'user_message')).message.content, 'Chào bạn mới')
  assert.equal((await say(newcomer, 'Chào anh')).result, 'success')
  assert.deepEqual(await receivedSoFar(outsider), [])
})

test('adding a current member changes nothing and announces nothing', async (t) => {
  const app = await build(t, db.database)
  const [owner, agentDevice] = await loggedInAll(app, [14, 4])
  const answer = await owner.request({ command: 'room_add_member', roomId: 1, userId: 4 })
  assert.equal(answer.result, 'success')
  assert.equal(answer.room.members.length, 2)
  assert.deepEqual(await receivedSoFar(agentDevice), [])
})

test('room_add_member failures: not the owner, not a member, unknown room, unknown user', async (t) => {
  const app = await build(t, db.database)
  const [owner, agentDevice, outsider] = await loggedInAll(app, [14, 4, 15])
  const cases: Array<[TestClient, Record<string, unknown>, Record<string, unknown>]> = [
    [agentDevice, { roomId: 1, userId: 15 }, failed('room_add_member', 'Not allowed', 'FORBIDDEN')],
    [outsider, { roomId: 1, userId: 15 }, failed('room_add_member', 'You are not a member of this room', 'NOT_A_MEMBER')],
    [owner, { roomId: 999, userId: 15 }, failed('room_add_member', 'Chat room not found', 'ROOM_NOT_FOUND')],
    // The unknown user is named, as room_create names each unknown member.
    [owner, { roomId: 1, userId: 777 }, { ...failed('room_add_member', 'User not found', 'USER_NOT_FOUND'), errors: [{ path: '/userId', message: 'names no user' }] }]
  ]
  for (const [client, fields, expected] of cases) {
    assert.deepEqual(await client.request({ command: 'room_add_member', ...fields }), expected)
  }
  const missing = await owner.request({ command: 'room_add_member', roomId: 1 })
  assert.deepEqual(missing.errors, [{ path: '/userId', message: 'is required' }])
  for (const client of [owner, agentDevice, outsider]) assert.deepEqual(await receivedSoFar(client), [])
})

test('the owner removes a member: they and the others are told, and the removed member hears nothing more', async (t) => {
  const app = await build(t, db.database)
  const [owner, agentDevice, agentTablet, outsider] = await loggedInAll(app, [14, 4, [4, 'tablet'], 15])

  const answer = await owner.request({ command: 'room_remove_member', roomId: '1', userId: 4 })
  assert.deepEqual(answer, { command: 'room_remove_member', result: 'success', roomId: '1', userId: '4' })
  const event = { command: 'room_member_removed', roomId: '1', userId: '4', removedBy: '14' }
  assert.deepEqual(await agentDevice.next((f) => f.command === 'room_member_removed'), event)
  assert.deepEqual(await agentTablet.next((f) => f.command === 'room_member_removed'), event)

  assert.equal((await say(owner, 'Chỉ còn mình tôi')).result, 'success')
  assert.deepEqual(await say(agentDevice, 'Tôi vẫn ở đây?'), failed('user_message', 'You are not a member of this room', 'NOT_A_MEMBER'))
  for (const client of [agentDevice, agentTablet, outsider]) assert.deepEqual(await receivedSoFar(client), [])

  // Re-adding a former member lets them back in.
  const back = await owner.request({ command: 'room_add_member', roomId: 1, userId: 4 })
  assert.deepEqual(back.room.members.map((m: { userId: string }) => m.userId).sort(), ['14', '4'])
  await agentDevice.next((f) => f.command === 'room_member_added')
  await say(owner, 'Chào mừng trở lại')
  assert.equal((await agentDevice.next((f) => f.command === 'user_message')).message.content, 'Chào mừng trở lại')
})

test('room_remove_member failures: not the owner, not a member, unknown room; removing a non-member is a no-op', async (t) => {
  const app = await build(t, db.database)
  const [owner, agentDevice, outsider] = await loggedInAll(app, [14, 4, 15])
  assert.deepEqual(await agentDevice.request({ command: 'room_remove_member', roomId: 1, userId: 14 }), failed('room_remove_member', 'Not allowed', 'FORBIDDEN'))
  assert.deepEqual(await outsider.request({ command: 'room_remove_member', roomId: 1, userId: 4 }), failed('room_remove_member', 'You are not a member of this room', 'NOT_A_MEMBER'))
  assert.deepEqual(await owner.request({ command: 'room_remove_member', roomId: 42, userId: 4 }), failed('room_remove_member', 'Chat room not found', 'ROOM_NOT_FOUND'))
  assert.equal((await owner.request({ command: 'room_remove_member', roomId: 1, userId: 15 })).result, 'success')
  for (const client of [owner, agentDevice, outsider]) assert.deepEqual(await receivedSoFar(client), [])
  assert.equal((await say(agentDevice, 'vẫn là thành viên')).result, 'success')
})

test('room_leave: the others are told, the leaver stops receiving, and an owner hands the room over', async (t) => {
  const app = await build(t, db.database)
  const [owner, ownerTablet, agentDevice, outsider] = await loggedInAll(app, [14, [14, 'tablet'], 4, 15])

  assert.deepEqual(await owner.request({ command: 'room_leave', roomId: 1 }), { command: 'room_leave', result: 'success', roomId: '1' })
  const event = { command: 'room_member_removed', roomId: '1', userId: '14', removedBy: '14' }
  assert.deepEqual(await agentDevice.next((f) => f.command === 'room_member_removed'), event)
  assert.deepEqual(await ownerTablet.next((f) => f.command === 'room_member_removed'), event)
  assert.deepEqual(await receivedSoFar(outsider), [])

  await say(agentDevice, 'Còn ai không?')
  assert.deepEqual(await receivedSoFar(ownerTablet), [])
  assert.deepEqual(await receivedSoFar(owner), [])
  // The agent, the only one left, now owns the room and may add people.
  assert.equal((await agentDevice.request({ command: 'room_add_member', roomId: 1, userId: 15 })).result, 'success')

  assert.deepEqual(await owner.request({ command: 'room_leave', roomId: 1 }), failed('room_leave', 'You are not a member of this room', 'NOT_A_MEMBER'))
  assert.deepEqual(await owner.request({ command: 'room_leave', roomId: 5000 }), failed('room_leave', 'Chat room not found', 'ROOM_NOT_FOUND'))
})

test('an owner who leaves a room of several hands it to the longest-standing member, not the lowest id', async (t) => {
  const app = await build(t, db.database)
  await addRoom(app, '2', { 4: 'OWNER', 14: 'MEMBER', 15: 'MEMBER' })
  // 15 joined first, 14 later: the lower id is not the heir.
  await app.db.update(members).set({ joinedAt: new Date('2024-01-01T00:00:00Z') }).where(and(eq(members.roomId, '2'), eq(members.userId, '15')))
  await app.db.update(members).set({ joinedAt: new Date('2024-06-01T00:00:00Z') }).where(and(eq(members.roomId, '2'), eq(members.userId, '14')))
  const [owner, laterJoiner, earliest] = await loggedInAll(app, [4, 14, 15])
  assert.equal((await owner.request({ command: 'room_leave', roomId: 2 })).result, 'success')
  const roles = await app.db.select({ userId: members.userId, role: members.role }).from(members)
    .where(and(eq(members.roomId, '2'), isNull(members.leftAt))).orderBy(members.userId)
  assert.deepEqual(roles, [{ userId: '14', role: 'MEMBER' }, { userId: '15', role: 'OWNER' }])
  assert.deepEqual(await laterJoiner.request({ command: 'room_add_member', roomId: 2, userId: 4 }), failed('room_add_member', 'Not allowed', 'FORBIDDEN'))
  assert.equal((await earliest.request({ command: 'room_add_member', roomId: 2, userId: 4 })).result, 'success')
})

test('membership commands check the login and the request shape before anything else', async (t) => {
  const app = await build(t, db.database)
  const anonymous = await connect(app)
  const [owner, agentDevice] = await loggedInAll(app, [14, 4])
  for (const command of ['room_add_member', 'room_remove_member', 'room_leave']) {
    assert.deepEqual(await anonymous.request({ command, roomId: 1, userId: 15 }), failed(command, 'Not authenticated', 'NOT_AUTHENTICATED'))
    const badRoom = await owner.request({ command, roomId: 'one', userId: 15 })
    assert.deepEqual([badRoom.code, badRoom.reason, badRoom.errors?.[0]?.path], ['INVALID_FORMAT', 'Invalid message format', '/roomId'])
    const missing = await owner.request({ command })
    assert.deepEqual([missing.code, missing.reason, missing.errors?.[0]?.path], ['MISSING_FIELDS', 'Missing required fields', '/roomId'])
  }
  assert.deepEqual(await receivedSoFar(agentDevice), [])
  assert.deepEqual((await owner.request({ command: 'room_add_member', roomId: 1, userId: 4 })).room.members.length, 2)
})
