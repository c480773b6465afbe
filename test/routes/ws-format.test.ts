import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { build, failure, loggedInAll, receivedSoFar, textMessage, useDatabase, type Frame, type TestClient } from '../helpers.js'
import { messages } from '../../src/db/schema.js'

const db = useDatabase()

const INVALID_FORMAT = failure(undefined, 'Invalid message format', 'INVALID_FORMAT')

/** After any refusal the socket is still open and still chats. */
async function stillWorks (client: TestClient, label: string): Promise<void> {
  const answer = await client.request(textMessage(`vẫn ổn sau ${label}`))
  assert.equal(answer.result, 'success', label)
}

/** Sends `frame` and checks the answer; the socket must survive it. */
async function refused (client: TestClient, frame: Frame | string | Buffer, expected: Frame, label: string, binary = false): Promise<void> {
  client.send(frame, { binary })
  assert.deepEqual(await client.next(), expected, label)
  await stillWorks(client, label)
}

/** A user_message with one field changed, and what the refusal must say about that field. */
const fieldRefusal = (path: string, answer: Frame) => {
  assert.equal(answer.command, 'user_message', path)
  assert.equal(answer.result, 'failed', path)
  assert.equal(answer.reason, 'Invalid message format', path)
  assert.equal(answer.code, 'INVALID_FORMAT', path)
  assert.ok(answer.errors.some((error: Frame) => error.path === path), `${path} is named in ${JSON.stringify(answer.errors)}`)
}

async function agentAndBuyer (t: Parameters<typeof build>[0], config = {}): Promise<{ app: FastifyInstance, agent: TestClient, buyer: TestClient }> {
  const app = await build(t, db.database, config)
  const [agent, buyer] = await loggedInAll(app, [4, 14])
  return { app, agent, buyer }
}

test('frames that are not a JSON object with a string command are "Invalid message format"; the socket stays open', async (t) => {
  const { agent } = await agentAndBuyer(t)
  for (const frame of ['{nope', '[1,2]', '42', '"hello"', 'null', '']) {
    await refused(agent, frame, INVALID_FORMAT, `text ${JSON.stringify(frame)}`)
  }
  await refused(agent, Buffer.from(JSON.stringify(textMessage('nhị phân'))), INVALID_FORMAT, 'binary frame', true)
  await refused(agent, { roomId: 1, requestId: 'no-command' }, { ...INVALID_FORMAT, requestId: 'no-command' }, 'missing command')
  await refused(agent, { command: 7, requestId: 'number-command' }, { ...INVALID_FORMAT, requestId: 'number-command' }, 'non-string command')
  await refused(agent, { command: 'fly_to_the_moon', requestId: 'u' },
    failure('fly_to_the_moon', 'Unknown command', 'UNKNOWN_COMMAND', { requestId: 'u' }), 'unknown command')
})

test('fields of the wrong type or value are "Invalid message format" naming the field, with the requestId echoed', async (t) => {
  const { agent, app } = await agentAndBuyer(t)
  const cases: Array<[string, Frame]> = [
    ['/roomId', { roomId: 'abc' }],
    ['/roomId', { roomId: -1 }],
    ['/roomId', { roomId: 1.5 }],
    ['/roomId', { roomId: true }],
    ['/messageType', { messageType: 'AUDIO' }],
    ['/content', { content: 5 }],
    ['/clientMessageId', { clientMessageId: '' }],
    ['/requestId', { requestId: 'r'.repeat(65) }]
  ]
  for (const [path, change] of cases) {
    const requestId = typeof change.requestId === 'string' ? undefined : `bad ${path}`
    agent.send({ ...textMessage('x'), ...(requestId !== undefined && { requestId }), ...change })
    const answer = await agent.next()
    fieldRefusal(path, answer)
    assert.equal(answer.requestId, requestId, `requestId of ${path}`)
  }
  await stillWorks(agent, 'wrong types')
  // A digit string is as good as an integer id.
  const answer = await agent.request(textMessage('id dạng chuỗi', { roomId: '1' }))
  assert.equal(answer.result, 'success')
  assert.equal(answer.message.roomId, '1')
  assert.equal((await app.db.select().from(messages)).length, 2)
})

test('the content limit counts characters: the limit works, one more is refused, 4 000 emoji are 4 000', async (t) => {
  const { agent, buyer } = await agentAndBuyer(t)
  const limit = 4000
  const exact = await agent.request(textMessage('x'.repeat(limit)))
  assert.equal(exact.result, 'success')
  assert.equal((await buyer.next()).message.content.length, limit)
  const emoji = '😀'.repeat(limit)
  const emojiAnswer = await agent.request(textMessage(emoji))
  assert.equal(emojiAnswer.result, 'success')
  assert.equal(emojiAnswer.message.content, emoji)
  await buyer.next()
  for (const tooLong of ['x'.repeat(limit + 1), '😀'.repeat(limit + 1)]) {
    const answer = await agent.request(textMessage(tooLong, { requestId: 'long' }))
    assert.deepEqual(answer, failure('user_message', 'Invalid message format', 'INVALID_FORMAT', {
      requestId: 'long',
      errors: [{ path: '/content', message: `must be at most ${limit} characters` }]
    }))
  }
  assert.deepEqual(await receivedSoFar(buyer), [])
  await stillWorks(agent, 'long content')
})

test('NUL characters are refused, never stored or altered', async (t) => {
  const { agent, buyer, app } = await agentAndBuyer(t)
  const answer = await agent.request(textMessage('a\u0000b', { requestId: 'nul' }))
  assert.equal(answer.reason, 'Invalid message format')
  assert.equal(answer.code, 'INVALID_FORMAT')
  assert.equal(answer.requestId, 'nul')
  assert.deepEqual(answer.errors.map((error: Frame) => error.path), ['/content'])
  assert.deepEqual(await receivedSoFar(buyer), [])
  assert.equal((await app.db.select().from(messages)).length, 0)
  await stillWorks(agent, 'NUL')
})

test('SQL-looking, emoji and Vietnamese text round-trips unchanged to the receiver and the database', async (t) => {
  const { agent, buyer, app } = await agentAndBuyer(t)
  const texts = [
    "'); DROP TABLE messages; --",
    "Robert'); SELECT * FROM users WHERE '1'='1",
    'Xin chào! Căn hộ 3 phòng ngủ, giá 5,2 tỷ — thương lượng được 🏠👨‍👩‍👧‍👦🇻🇳',
    'Tiếng Việt có dấu: ắằẳẵặ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ỷỹỵ Đđ',
    '\\u0000 is not a NUL, and $1 is not a parameter'
  ]
  for (const text of texts) {
    const answer = await agent.request(textMessage(text))
    assert.equal(answer.message.content, text)
    assert.equal((await buyer.next()).message.content, text)
    const [row] = await app.db.select().from(messages).where(eq(messages.id, answer.message.messageId))
    assert.equal(row?.content, text)
  }
})

test('__proto__ and constructor keys are ignored like any extra field and pollute nothing', async (t) => {
  const { agent, buyer } = await agentAndBuyer(t)
  const raw = [
    '{"command":"user_message","roomId":1,"messageType":"TEXT","content":"proto","__proto__":{"polluted":true,"roomId":2}}',
    '{"command":"user_message","roomId":1,"messageType":"TEXT","content":"ctor","constructor":{"prototype":{"polluted":true}}}',
    '{"__proto__":{"command":"user_message"},"roomId":1,"messageType":"TEXT","content":"no command"}'
  ]
  agent.send(raw[0]!)
  const first = await agent.next()
  assert.equal(first.result, 'success')
  assert.equal(first.message.roomId, '1')
  agent.send(raw[1]!)
  assert.equal((await agent.next()).result, 'success')
  agent.send(raw[2]!)
  assert.deepEqual(await agent.next(), INVALID_FORMAT)
  assert.equal(({} as Frame).polluted, undefined)
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false)
  const received = [await buyer.next(), await buyer.next()]
  assert.deepEqual(received.map((frame) => Object.keys(frame.message).includes('polluted')), [false, false])
  await stillWorks(agent, 'prototype keys')
})

test('unknown extra fields are ignored and never reach the database', async (t) => {
  const { agent, app } = await agentAndBuyer(t)
  const answer = await agent.request(textMessage('thêm trường lạ', { senderId: 14, seq: 99, createdAt: '2000-01-01T00:00:00.000Z' }))
  assert.equal(answer.result, 'success')
  assert.equal(answer.message.sender.userId, '4')
  assert.equal(answer.message.seq, 1)
  assert.notEqual(answer.message.createdAt, '2000-01-01T00:00:00.000Z')
  const [row] = await app.db.select().from(messages)
  assert.equal(row?.senderId, '4')
})
