import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ConfigInput } from '../../src/config.js'
import { loggedInReal, TEST_CONFIG, tokenFor, type Frame } from '../helpers.js'
import { addRoom } from '../conversation.js'
import { pushConfig, serviceAccount } from '../push/helpers.js'
import { vapidKeys } from '../push/push-service.js'

// Requests of every command that succeed, and values that name real rows: the hostile-input and property
// suites start from them, so that a frame wrong in one field reaches the code behind the other fields' checks.

/** Both push providers configured (nothing is sent: pushes wait longer than a test lasts), no rate limit in the way. */
const { account: FCM_ACCOUNT } = serviceAccount()
export const COMMAND_TEST_CONFIG: ConfigInput = {
  RATE_LIMIT_PER_S: 1_000_000,
  RATE_LIMIT_BURST: 1_000_000,
  ...pushConfig(vapidKeys(), { PUSH_DELAY_MS: 600_000 }),
  FCM_SERVICE_ACCOUNT_JSON: JSON.stringify(FCM_ACCOUNT),
  FCM_ENDPOINT: 'http://127.0.0.1:9',
  FCM_TOKEN_URL: 'http://127.0.0.1:9/token'
}

/** Values that reach past "not found": ids of the demo data and of what `prepare` writes, tokens that verify. */
export function fieldValues (app: FastifyInstance): Record<string, readonly unknown[]> {
  const ids = [0, 1, 2, 3, 4, 14, 15, 16, 123, '1', '2', '3', '4', '14', '15', '123', '0001']
  const tokens = [
    tokenFor(app, 4), tokenFor(app, 14), tokenFor(app, 4, 1), tokenFor(app, 4, '100y'),
    ...['"4","exp":1e15', '"4","exp":1e400', '"4","exp":-1', '"4","exp":2e9,"nbf":1e15', '"4","exp":2e9,"iat":1e400', '"4"',
      '"99999","exp":2e9', '"99999999999999999999","exp":2e9', '"4.5","exp":2e9', '"-1","exp":2e9', '"0","exp":2e9', '4,"exp":2e9']
      .map((claims) => signedClaims(`{"sub":${claims}}`))
  ]
  return { roomId: ids, userId: ids, messageId: ids, beforeMessageId: ids, afterMessageId: ids, listingId: ids, since: ids, replyToMessageId: ids, memberIds: [[4, 14], ['15', 15, 16], []], userIds: [[4, 14, 15], []], token: tokens }
}

/** An HS256 token of claims given as JSON text, so that numbers JSON.stringify cannot write reach the server. */
function signedClaims (claimsJson: string): string {
  const head = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(claimsJson).toString('base64url')}`
  return `${head}.${createHmac('sha256', String(TEST_CONFIG.JWT_SECRET)).update(head).digest('base64url')}`
}

/** What `prepare` wrote that the examples name. */
export interface Prepared { cursor: string, messageIds: string[] }

/** Some messages and a group room, so that ids of `fieldValues` name real rows. */
export async function prepare (app: FastifyInstance, url: string): Promise<Prepared> {
  await addRoom(app, '2', { 4: 'OWNER', 15: 'MEMBER', 16: 'MEMBER' })
  const agent = await loggedInReal(app, url, 4, 'seed-device')
  const messageIds: string[] = []
  for (const content of ['một', 'hai', 'ba']) {
    const answer = await agent.request({ command: 'user_message', roomId: 1, content, messageType: 'TEXT' })
    assert.equal(answer.result, 'success')
    messageIds.push(answer.message.messageId)
  }
  const page = await agent.request({ command: 'room_list', limit: 1 })
  assert.equal(typeof page.nextCursor, 'string')
  agent.close()
  return { cursor: page.nextCursor, messageIds }
}

const P256DH = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url')
const AUTH = Buffer.alloc(16, 9).toString('base64url')

/** Who sends each command: user 4, but for room_create, which 4 (the listing's agent) cannot open for a listing. */
export const USER_OF: Record<string, number> = { room_create: 15 }

/** Requests of each command that succeed for the user of USER_OF in the prepared data: the variations start from them. */
export function examples (app: FastifyInstance, prepared: Prepared): Record<string, Frame[]> {
  const [first, second, third] = prepared.messageIds
  return {
    user_login: [{ userId: 4, token: tokenFor(app, 4), uuid: 'device-login' }],
    user_message: [
      { roomId: 1, messageType: 'TEXT', content: 'xin chào', clientMessageId: 'c-1', replyToMessageId: first },
      { roomId: '2', messageType: 'IMAGE', media: 'https://example.com/a.jpg', content: 'ảnh' }
    ],
    ping: [{}],
    user_logout: [{}],
    token_refresh: [{ token: tokenFor(app, 4) }],
    room_history: [{ roomId: 1, beforeMessageId: third, afterMessageId: first, limit: 10 }],
    sync: [{ since: first }],
    room_list: [{ limit: 1, before: prepared.cursor }],
    message_read: [{ roomId: 1, messageId: second }],
    typing: [{ roomId: 1, isTyping: true }],
    message_edit: [{ messageId: second, content: 'đã sửa' }],
    message_delete: [{ messageId: third }],
    room_create: [{ listingId: 123 }, { memberIds: [14, '15'], title: 'nhóm' }],
    room_add_member: [{ roomId: 2, userId: 14 }],
    room_remove_member: [{ roomId: 2, userId: 16 }],
    room_leave: [{ roomId: 2 }],
    presence_query: [{ userIds: [14, 15] }],
    push_register: [
      { provider: 'webpush', subscription: { endpoint: 'https://push.example/1', keys: { p256dh: P256DH, auth: AUTH } }, locale: 'vi-VN' },
      { provider: 'fcm', token: 'fcm-token-1', locale: 'en-US' }
    ],
    push_unregister: [{}],
    room_mute: [{ roomId: 1, until: '2030-01-01T00:00:00Z' }],
    room_focus: [{ roomId: 1 }]
  }
}
