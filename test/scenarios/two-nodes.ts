import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Database } from '../../src/db/client.js'
import { listen, loggedIn, receivedSoFar, startNodes, textMessage, type Frame, type NodeEngine, type TestClient } from '../helpers.js'

const isMessage = (frame: Frame) => frame.command === 'user_message'
const named = (command: string) => (frame: Frame) => frame.command === command

/** What `client` received of `command` up to a ping round trip (a barrier, not a sleep). */
const receivedBefore = async (client: TestClient, command: string): Promise<Frame[]> => (await receivedSoFar(client)).filter(named(command))

/**
 * The scenarios that must hold with clients spread over two nodes, run on `engine` (the in-memory bus
 * here; a networked engine runs the same suite). Each scenario starts two nodes on the shared database.
 */
export function twoNodeScenarios (engine: NodeEngine, shared: { readonly database: Database }): void {
  const prefix = `two nodes (${engine.name})`

  test(`${prefix}: a conversation between users on different nodes, each device once, the sender's other device included`, async (t) => {
    const [a, b] = await startNodes(t, shared.database, engine)
    const agent = await loggedIn(a!, 4, 'agent-phone')
    const agentLaptop = await loggedIn(b!, 4, 'agent-laptop')
    const buyer = await loggedIn(b!, 14)
    const asked = await agent.request(textMessage('Căn này còn không?'))
    assert.equal(asked.result, 'success')
    for (const device of [buyer, agentLaptop]) {
      const copy = await device.next(isMessage)
      assert.equal(copy.result, undefined)
      assert.deepEqual(copy.message, asked.message)
    }
    const answered = await buyer.request(textMessage('Còn ạ'))
    assert.deepEqual((await agent.next(isMessage)).message, answered.message)
    assert.deepEqual((await agentLaptop.next(isMessage)).message, answered.message)
    assert.equal((await buyer.request({ command: 'message_read', roomId: 1, messageId: asked.message.messageId })).result, 'success')
    assert.equal((await agent.next(named('message_read'))).messageId, asked.message.messageId)
    // Exactly once each: nothing more of the room came before a ping's answer.
    for (const device of [agent, agentLaptop, buyer]) assert.deepEqual(await receivedBefore(device, 'user_message'), [])
  })

  test(`${prefix}: a device that reconnects to the other node syncs what it missed`, async (t) => {
    const [a, b] = await startNodes(t, shared.database, engine)
    const agent = await loggedIn(a!, 4)
    const buyer = await loggedIn(b!, 14, 'phone', { url: await listen(b!) })
    await agent.request(textMessage('trước'))
    const { syncToken } = await buyer.next(isMessage)
    buyer.close()
    await buyer.closedWithin()
    const missed = await agent.request(textMessage('trong lúc mất sóng'))
    const back = await loggedIn(a!, 14, 'phone')
    const synced = await back.request({ command: 'sync', since: syncToken })
    assert.deepEqual(synced.messages, [missed.message])
    const live = await agent.request(textMessage('sau'))
    assert.deepEqual((await back.next(isMessage)).message, live.message)
  })

  test(`${prefix}: the same device logging in on the other node takes over: session_replaced, then 4002`, async (t) => {
    const [a, b] = await startNodes(t, shared.database, engine)
    const old = await loggedIn(a!, 14, 'phone', { url: await listen(a!) })
    const fresh = await loggedIn(b!, 14, 'phone')
    assert.ok((await old.next(named('session_replaced'))) !== undefined)
    assert.equal((await old.closedWithin()).code, 4002)
    const agent = await loggedIn(a!, 4)
    const sent = await agent.request(textMessage('vẫn nhận được'))
    assert.deepEqual((await fresh.next(isMessage)).message, sent.message)
  })

  test(`${prefix}: typing reaches the other members' devices on the other node, not the typist's`, async (t) => {
    const [a, b] = await startNodes(t, shared.database, engine)
    const agent = await loggedIn(a!, 4)
    const buyer = await loggedIn(b!, 14)
    agent.send({ command: 'typing', roomId: 1, isTyping: true })
    assert.deepEqual(await buyer.next(named('typing')), { command: 'typing', roomId: '1', userId: '4', isTyping: true })
    // The typing event went out before the message that follows it; the typist got neither copy.
    const sent = await agent.request(textMessage('xong'))
    assert.equal((await buyer.next(isMessage)).message.messageId, sent.message.messageId)
    assert.deepEqual(await receivedBefore(agent, 'typing'), [])
  })

  test(`${prefix}: edits and deletions reach the other node's members`, async (t) => {
    const [a, b] = await startNodes(t, shared.database, engine)
    const agent = await loggedIn(a!, 4)
    const buyer = await loggedIn(b!, 14)
    const sent = await agent.request(textMessage('giá 5 tỷ'))
    await buyer.next(isMessage)
    const edited = await agent.request({ command: 'message_edit', messageId: sent.message.messageId, content: 'giá 4,8 tỷ' })
    assert.deepEqual((await buyer.next(named('message_updated'))).message, edited.message)
    const deleted = await agent.request({ command: 'message_delete', messageId: sent.message.messageId })
    const tombstone = await buyer.next(named('message_deleted'))
    assert.deepEqual([tombstone.messageId, tombstone.deletedAt, tombstone.syncToken], [sent.message.messageId, deleted.deletedAt, deleted.syncToken])
  })

  test(`${prefix}: a room created on one node reaches its members on the other; a removed member receives nothing more`, async (t) => {
    const [a, b] = await startNodes(t, shared.database, engine)
    const owner = await loggedIn(a!, 14)
    const agent = await loggedIn(b!, 4)
    const guest = await loggedIn(b!, 15)
    const created = await owner.request({ command: 'room_create', memberIds: [4, 15], title: 'Nhóm xem nhà' })
    const roomId = created.room.roomId
    for (const member of [agent, guest]) assert.equal((await member.next(named('room_created'))).room.roomId, roomId)
    // The other node listens to the new room: its first message reaches both members there.
    const first = await owner.request(textMessage('chào cả nhà', { roomId }))
    for (const member of [agent, guest]) assert.deepEqual((await member.next(isMessage)).message, first.message)

    assert.equal((await owner.request({ command: 'room_remove_member', roomId, userId: 15 })).result, 'success')
    const removed = await guest.next(named('room_member_removed'))
    assert.deepEqual([removed.userId, removed.removedBy], ['15', '14'])
    assert.equal((await agent.next(named('room_member_removed'))).userId, '15')
    const after = await owner.request(textMessage('chỉ còn hai người', { roomId }))
    // The agent, on the guest's node, got it: that node's delivery of it is over, and the guest had none.
    assert.deepEqual((await agent.next(isMessage)).message, after.message)
    assert.deepEqual(await receivedBefore(guest, 'user_message'), [])
    const refused = await guest.request(textMessage('còn ai không?', { roomId }))
    assert.equal(refused.code, 'NOT_A_MEMBER')
  })

  test(`${prefix}: presence: online when the first device on any node logs in, offline when the last one anywhere goes`, async (t) => {
    const [a, b] = await startNodes(t, shared.database, engine)
    const agent = await loggedIn(a!, 4)
    const phone = await loggedIn(b!, 14, 'phone', { url: await listen(b!) })
    assert.deepEqual(await agent.presence(14, true), { command: 'presence', userId: '14', online: true, lastSeenAt: null })
    const laptop = await loggedIn(a!, 14, 'laptop', { url: await listen(a!) })
    phone.close()
    await phone.closedWithin()
    // Still online through the laptop on the other node.
    assert.equal((await agent.request({ command: 'presence_query', userIds: [14] })).presence[0].online, true)
    // Nor did either node say anything: the laptop's login was not news, the phone's going is not.
    assert.deepEqual(await receivedSoFar(agent, [a!, b!]), [])
    laptop.close()
    const offline = await agent.presence(14, false)
    assert.deepEqual([offline.userId, offline.online], ['14', false])
    // Node a sent the offline; an online or offline of its own before it (the laptop's login, the
    // phone's going) would be in already. Node b's are in once the nodes' presence queues are waited out.
    assert.deepEqual(await receivedSoFar(agent, [a!, b!]), [])
  })
}
