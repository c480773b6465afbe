import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { sql } from 'drizzle-orm'
import { commands } from '../../src/commands/index.js'
import { build, connectReal, listen, useDatabase, type Frame, type TestClient } from '../helpers.js'
import { COMMAND_TEST_CONFIG } from './command-examples.js'

const db = useDatabase()

const INVALID = { result: 'failed', reason: 'Invalid message format', code: 'INVALID_FORMAT' }
const LIMIT = 65_536
const emoji = (count: number) => '😀'.repeat(count)
const message = (content: string, extra: Frame = {}) => ({ command: 'user_message', roomId: 1, messageType: 'TEXT', content, ...extra })

interface HostileCase {
  name: string
  /** A frame: an object (sent as JSON), a string (sent as text as is) or raw bytes. */
  send: Frame | string | Buffer
  binary?: boolean
  /** The answer expected (compared on these fields), or the close code the socket gets. */
  answer?: Frame
  closes?: number
  check?: (answer: Frame) => void | Promise<void>
  /** A failed login counts toward the socket's five: such cases get a socket of their own. */
  ownSocket?: boolean
  /** Fire-and-forget: a success has no answer (a ping sent after it answers first). */
  silent?: boolean
}

/** A nested array `depth` levels deep, as JSON text. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const deepFrame = (() => {
  const head = JSON.stringify(message('deep')).slice(0, -1) + ',"extra":'
  const depth = Math.floor((LIMIT - head.length - 1) / 2)
  return `${head}${nested(depth)}}`
})()

const fixedCases: HostileCase[] = [
  { name: 'text that is not JSON', send: '{"command":', answer: INVALID },
  { name: 'an empty text frame', send: '', answer: INVALID },
  ...['null', 'true', '42', '"user_message"', '[]', '[{"command":"ping"}]'].map((json) => ({ name: `non-object JSON ${json}`, send: json, answer: INVALID })),
  { name: 'an object without command', send: { roomId: 1 }, answer: INVALID },
  { name: 'a command that is not a string', send: { command: 7 }, answer: INVALID },
  { name: 'a binary frame', send: Buffer.from(JSON.stringify(message('binary'))), binary: true, answer: INVALID },
  { name: 'a frame one byte over the limit', send: JSON.stringify(message('x'.repeat(LIMIT))).padEnd(LIMIT + 1, ' ').slice(0, LIMIT + 1), closes: 1009 },
  { name: 'invalid UTF-8 in a text frame', send: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), binary: false, closes: 1007 },
  { name: `nesting ${Math.floor(LIMIT / 2)} deep within the limit`, send: deepFrame, answer: { command: 'user_message', result: 'success' } },
  { name: 'deep nesting as the content', send: JSON.stringify(message('')).replace('""', nested(20_000)), answer: { command: 'user_message', ...INVALID } },
  { name: '__proto__ key', send: `{"command":"user_message","roomId":1,"messageType":"TEXT","content":"proto","__proto__":{"polluted":true}}`, answer: { command: 'user_message', result: 'success' } },
  { name: 'constructor.prototype key', send: { ...message('ctor'), constructor: { prototype: { polluted: true } } }, answer: { command: 'user_message', result: 'success' } },
  ...['__proto__', 'constructor', 'toString', 'hasOwnProperty'].map((name) => ({ name: `command named ${name}`, send: { command: name }, answer: { command: name, result: 'failed', reason: 'Unknown command', code: 'UNKNOWN_COMMAND' } })),
  { name: 'a lone surrogate', send: '{"command":"user_message","roomId":1,"messageType":"TEXT","content":"a\\ud800b"}', answer: { command: 'user_message', ...INVALID, errors: [{ path: '/content', message: 'must be well-formed Unicode (no lone surrogates)' }] } },
  { name: 'a NUL character', send: message('a\u0000b'), answer: { command: 'user_message', ...INVALID, errors: [{ path: '/content', message: 'must not contain U+0000' }] } },
  { name: 'an RTL override, stored as sent', send: message('\u202eabc.exe'), check: (answer) => assert.equal(answer.message.content, '\u202eabc.exe') },
  { name: '4 000 emoji (the limit, counted in characters)', send: message(emoji(4000)), check: (answer) => assert.equal(answer.message.content, emoji(4000)) },
  { name: '4 001 emoji', send: message(emoji(4001)), answer: { command: 'user_message', ...INVALID, errors: [{ path: '/content', message: 'must be at most 4000 characters' }] } },
  { name: 'SQL-looking text, stored as sent', send: message("'); DROP TABLE messages; --"), check: (answer) => assert.equal(answer.message.content, "'); DROP TABLE messages; --") },
  { name: 'a /media/ path with encoded dot segments', send: { command: 'user_message', roomId: 1, messageType: 'IMAGE', media: '/media/%2e%2e/%2e%2e/etc/passwd' }, answer: { command: 'user_message', ...INVALID, errors: [{ path: '/media', message: 'must be a /media/ path in normal form (no dot segments, encoded separators or backslashes)' }] } },
  { name: 'a requestId over 64 characters', send: message('long id', { requestId: 'r'.repeat(65) }), answer: { command: 'user_message', ...INVALID } }
]

/** Values of every JSON type, and a few edge values, to put where a field expects something else. */
const WRONG_VALUES: unknown[] = [1.5, -1, 'not-a-number', '', true, null, [], {}, 'x'.repeat(9000)]

/** For every command of the handler table and every field of its schema: each value the schema refuses. */
function wrongTypeCases (): HostileCase[] {
  const cases: HostileCase[] = []
  for (const [name, definition] of Object.entries(commands)) {
    const schema = definition.schema as TSchema & { properties: Record<string, TSchema> }
    const base = { ...Value.Create(schema) as Frame, command: name }
    for (const [field, fieldSchema] of Object.entries(schema.properties)) {
      if (field === 'command') continue
      for (const value of WRONG_VALUES) {
        if (Value.Check(fieldSchema, value)) continue
        cases.push({
          name: `${name}.${field} = ${JSON.stringify(value).slice(0, 20)}`,
          send: { ...base, [field]: value },
          answer: { command: name, ...INVALID },
          ownSocket: name === 'user_login',
          check: (answer) => assert.ok(answer.errors.some((error: Frame) => error.path === `/${field}`), JSON.stringify(answer.errors))
        })
      }
    }
  }
  return cases
}

/**
 * The documented limits of each field (docs/protocol.md, README), written out by hand rather than read from
 * the schemas: a schema laxer than the documentation lets a refused value through, and fails here. Each row
 * sends its frame with the field at the limit (accepted: no format failure) and past it (refused with
 * "Invalid message format" naming the field).
 */
interface FieldLimit { command: string, base: Frame, field: string, accepted: unknown[], refused: unknown[] }

const ids = (count: number) => Array.from({ length: count }, (_, index) => index + 1)
const media = (length: number) => `https://example.com/${'a'.repeat(length - 'https://example.com/'.length)}`
const P256DH_BYTES = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)])
const webpush = (keys: { p256dh?: string, auth?: string }, endpoint = 'https://push.example/1') =>
  ({ endpoint, keys: { p256dh: P256DH_BYTES.toString('base64url'), auth: Buffer.alloc(16, 9).toString('base64url'), ...keys } })
const ID_ACCEPTED = [0, 1, '1', '000000000000000001', '999999999999999999', Number.MAX_SAFE_INTEGER]
const ID_REFUSED = [-1, 1.5, 2 ** 53, '', ' 1', '1 ', '+1', '-1', '0x1', '1e3', '1'.padStart(19, '0'), true, null, [1], { id: 1 }]

const FIELD_LIMITS: FieldLimit[] = [
  { command: 'user_message', base: message('requestId'), field: 'requestId', accepted: ['r', 'r'.repeat(64)], refused: ['', 'r'.repeat(65), 7] },
  { command: 'user_message', base: message('ids'), field: 'roomId', accepted: ID_ACCEPTED, refused: ID_REFUSED },
  { command: 'user_message', base: message('reply'), field: 'replyToMessageId', accepted: ID_ACCEPTED, refused: ID_REFUSED },
  { command: 'user_message', base: message('type'), field: 'messageType', accepted: ['TEXT'], refused: ['text', 'AUDIO', '', 1] },
  { command: 'user_message', base: message('label'), field: 'clientMessageId', accepted: ['c', 'c'.repeat(64)], refused: ['', 'c'.repeat(65), 1] },
  { command: 'user_message', base: message(''), field: 'content', accepted: ['x'.repeat(4000), emoji(4000), '\uFEFFx'], refused: ['', '   ', 'x'.repeat(4001), emoji(4001), 'a\u0000', 'a\ud800', 1] },
  {
    command: 'user_message', base: { command: 'user_message', roomId: 1, messageType: 'IMAGE' }, field: 'media',
    accepted: [media(2048), 'http://example.com/a.jpg'],
    refused: [media(2049), 'ftp://example.com/a.jpg', 'javascript:alert(1)', 'example.com/a.jpg', '/media/%2e%2e/x', '/media/abc', '/etc/passwd']
  },
  { command: 'user_login', base: { command: 'user_login', userId: 4, token: 'x' }, field: 'uuid', accepted: ['u', 'u'.repeat(128)], refused: ['', 'u'.repeat(129), 'a\u0000'] },
  { command: 'user_login', base: { command: 'user_login', uuid: 'd', token: 'x' }, field: 'userId', accepted: ID_ACCEPTED, refused: ID_REFUSED },
  { command: 'token_refresh', base: { command: 'token_refresh' }, field: 'token', accepted: ['x', 'x'.repeat(8192)], refused: ['x'.repeat(8193), 1] },
  { command: 'room_history', base: { command: 'room_history', roomId: 1 }, field: 'limit', accepted: [1, 100, 101, 1e6], refused: [0, -1, 1.5, '10'] },
  { command: 'room_list', base: { command: 'room_list' }, field: 'limit', accepted: [1, 100, 101, 1e6], refused: [0, -1, 1.5, '10'] },
  { command: 'room_list', base: { command: 'room_list' }, field: 'before', accepted: [], refused: ['', 'x'.repeat(129), 'not-a-cursor', Buffer.from('9223372036854775808.1').toString('base64url')] },
  { command: 'sync', base: { command: 'sync' }, field: 'since', accepted: ID_ACCEPTED, refused: ID_REFUSED },
  { command: 'typing', base: { command: 'typing', roomId: 1 }, field: 'isTyping', accepted: [true, false], refused: ['true', 1, null] },
  { command: 'presence_query', base: { command: 'presence_query' }, field: 'userIds', accepted: [[], ids(100)], refused: [ids(101), [1.5], '4'] },
  { command: 'room_create', base: { command: 'room_create' }, field: 'memberIds', accepted: [[99999], ids(100)], refused: [ids(101), [-1], 14] },
  { command: 'room_create', base: { command: 'room_create', memberIds: [99999] }, field: 'title', accepted: ['t'.repeat(200), ` ${'t'.repeat(200)} `, null], refused: ['t'.repeat(201), 'a\u0000', 5] },
  { command: 'room_mute', base: { command: 'room_mute', roomId: 1 }, field: 'until', accepted: ['2030-01-01T00:00:00.000Z', '2030-01-01T07:00+07:00', '2028-02-29T00:00Z', null], refused: ['2030-01-01', '2030-01-01T00:00:00', '2030-02-30T00:00Z', '2029-02-29T00:00Z', '2030-13-01T00:00Z', 'tomorrow', '', 'x'.repeat(41)] },
  { command: 'room_focus', base: { command: 'room_focus' }, field: 'roomId', accepted: [1, '1', null], refused: [-1, 'one', true] },
  { command: 'push_register', base: { command: 'push_register', provider: 'fcm' }, field: 'token', accepted: ['t', 't'.repeat(4096)], refused: ['', 't'.repeat(4097), 'a\u0000'] },
  { command: 'push_register', base: { command: 'push_register', provider: 'fcm', token: 't' }, field: 'locale', accepted: ['vi-VN', 'l'.repeat(35)], refused: ['', 'l'.repeat(36)] },
  { command: 'push_register', base: { command: 'push_register', token: 't' }, field: 'provider', accepted: ['fcm'], refused: ['apns', 'FCM', ''] },
  {
    command: 'push_register', base: { command: 'push_register', provider: 'webpush' }, field: 'subscription',
    accepted: [webpush({}), webpush({}, `https://push.example/${'e'.repeat(2048 - 'https://push.example/'.length)}`)],
    refused: [
      webpush({}, 'ftp://push.example/1'), webpush({}, `https://push.example/${'e'.repeat(2049 - 'https://push.example/'.length)}`),
      webpush({ p256dh: P256DH_BYTES.subarray(0, 64).toString('base64url') }), webpush({ p256dh: Buffer.alloc(65, 5).toString('base64url') }),
      webpush({ auth: Buffer.alloc(17, 9).toString('base64url') }), webpush({ auth: 'not base64url!' })
    ]
  }
]

function fieldLimitCases (): HostileCase[] {
  return FIELD_LIMITS.flatMap(({ command, base, field, accepted, refused }) => [
    ...accepted.map((value): HostileCase => ({
      name: `${command}.${field} = ${JSON.stringify(value).slice(0, 30)} is accepted`,
      send: { ...base, [field]: value },
      ownSocket: command === 'user_login',
      silent: command === 'typing' || command === 'room_focus',
      // Not refused for its form; what the value names may not exist (a domain failure is fine).
      answer: { command },
      check: (answer) => assert.ok(!['INVALID_FORMAT', 'MISSING_FIELDS'].includes(answer.code), JSON.stringify(answer).slice(0, 300))
    })),
    ...refused.map((value): HostileCase => ({
      name: `${command}.${field} = ${JSON.stringify(value).slice(0, 30)} is refused`,
      send: { ...base, [field]: value },
      answer: { command, ...INVALID },
      ownSocket: command === 'user_login',
      check: (answer) => assert.ok(answer.errors.some((error: Frame) => error.path.startsWith(`/${field}`)), JSON.stringify(answer.errors))
    }))
  ])
}

async function openSocket (app: FastifyInstance, url: string): Promise<TestClient> {
  const client = await connectReal(url)
  await client.login(app, 4)
  return client
}

test('hostile frames over a real socket: each gets the protocol answer or close code, and a normal message still goes through', async (t) => {
  const app = await build(t, db.database, { ...COMMAND_TEST_CONFIG, RATE_LIMIT_PER_S: 100_000, RATE_LIMIT_BURST: 100_000 })
  const url = await listen(app)
  const cases = [...fixedCases, ...wrongTypeCases(), ...fieldLimitCases()]
  assert.ok(cases.length > 60, `${cases.length} cases`)
  let client = await openSocket(app, url)
  for (const hostile of cases) {
    await t.test(hostile.name, async () => {
      if (hostile.ownSocket === true) {
        client.close()
        client = await openSocket(app, url)
      }
      client.send(hostile.send, hostile.binary === undefined ? undefined : { binary: hostile.binary })
      if (hostile.closes !== undefined) {
        assert.equal((await client.closedWithin()).code, hostile.closes)
        client = await openSocket(app, url)
      } else if (hostile.silent === true) {
        const barrier = await client.request({ command: 'ping', requestId: 'barrier' })
        assert.equal(barrier.requestId, 'barrier')
        assert.deepEqual(client.pending(), [], 'nothing answered the fire-and-forget command')
      } else {
        const answer = await client.next()
        if (hostile.answer !== undefined) {
          for (const [key, value] of Object.entries(hostile.answer)) assert.deepEqual(answer[key], value, `${key} in ${JSON.stringify(answer).slice(0, 300)}`)
        } else {
          assert.equal(answer.result, 'success', JSON.stringify(answer).slice(0, 300))
        }
        await hostile.check?.(answer)
      }
      const normal = await client.request(message('still works', { requestId: 'after' }))
      assert.equal(normal.result, 'success')
      assert.equal(normal.requestId, 'after')
      assert.deepEqual(client.pending(), [])
    })
  }
  // Nothing reached a prototype, and the tables are intact.
  assert.equal(({} as Frame).polluted, undefined)
  assert.equal((Object.prototype as Frame).polluted, undefined)
  const result = await app.db.execute(sql`SELECT count(*)::text AS count FROM messages WHERE content = ${"'); DROP TABLE messages; --"}`) as unknown
  const [row] = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ count: string }>
  assert.equal(row?.count, '1')
  client.close()
})

test('a message split into more fragments than allowed closes the socket with 1008, and the server stays up', async (t) => {
  const app = await build(t, db.database, { MAX_FRAGMENTS: 8 })
  const url = await listen(app)
  const client = await openSocket(app, url)
  const part = Buffer.from('x')
  for (let i = 0; i < 20; i++) client.ws.send(part, { fin: false, binary: false })
  assert.equal((await client.closedWithin()).code, 1008)
  const fresh = await openSocket(app, url)
  assert.equal((await fresh.request(message('after fragments'))).result, 'success')
  fresh.close()
})
