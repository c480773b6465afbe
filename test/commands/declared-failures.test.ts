import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { commands } from '../../src/commands/index.js'
import { users } from '../../src/db/schema.js'
import { Failures, type FailureCode } from '../../src/protocol/errors.js'
import { addRoom, ageMessage, say } from '../conversation.js'
import { build, connectReal, listen, loggedIn, tokenFor, useDatabase, type Frame, type TestClient } from '../helpers.js'
import { COMMAND_TEST_CONFIG } from '../security/command-examples.js'

const db = useDatabase()

/** What the cases refer to: the demo data (room 1 of 4 and its owner 14), and what `setUp` writes. */
interface Scene {
  app: FastifyInstance
  /** Room 2: 4 owns it, 15 is in it. Room 3: 14 and 15, not 4. */
  mine: string
  /** 4's messages in room 1, one of them past the edit window; 14's message there. */
  own: string
  old: string
  others: string
}

/**
 * One way a client meets a failure its command declares: `frame`, sent by `as` (default 4, logged in;
 * null: a socket that has not logged in), after `before`.
 */
interface Case {
  command: string
  code: FailureCode
  as?: number | null
  frame: (scene: Scene) => Frame
  before?: (scene: Scene, client: TestClient) => Promise<void>
}

const NO_ROW = 999_999
const OUTSIDE = 3
const garbled = 'not.a.token'

// The dispatcher's own failures (format, login, rate limit, UNAVAILABLE, INTERNAL) are not here: they
// are no command's declaration, and other suites drive them (dispatch-fuzz, admission, flood,
// database-outage, shutdown). Every code a command declares for itself is reached below.
const CASES: Case[] = [
  { command: 'user_login', code: 'INVALID_TOKEN', as: null, frame: () => ({ userId: 4, token: garbled, uuid: 'd' }) },
  { command: 'user_login', code: 'TOKEN_EXPIRED', as: null, frame: ({ app }) => ({ userId: 4, token: tokenFor(app, 4, -60_000), uuid: 'd' }) },
  { command: 'user_login', code: 'USER_NOT_FOUND', as: null, frame: ({ app }) => ({ userId: NO_ROW, token: tokenFor(app, NO_ROW), uuid: 'd' }) },
  { command: 'user_login', code: 'ACCOUNT_INACTIVE', as: null, frame: ({ app }) => ({ userId: 16, token: tokenFor(app, 16), uuid: 'd' }) },
  // Another user on a socket logged in as 4.
  { command: 'user_login', code: 'FORBIDDEN', frame: ({ app }) => ({ userId: 14, token: tokenFor(app, 14), uuid: 'd' }) },

  { command: 'token_refresh', code: 'INVALID_TOKEN', frame: () => ({ token: garbled }) },
  { command: 'token_refresh', code: 'TOKEN_EXPIRED', frame: ({ app }) => ({ token: tokenFor(app, 4, -60_000) }) },
  { command: 'token_refresh', code: 'FORBIDDEN', frame: ({ app }) => ({ token: tokenFor(app, 14) }) },
  // The session's user lost its row, or was deactivated, while logged in (the status check runs hourly here).
  { command: 'token_refresh', code: 'USER_NOT_FOUND', as: 30, frame: ({ app }) => ({ token: tokenFor(app, 30) }), before: async ({ app }) => { await app.db.delete(users).where(eq(users.id, '30')) } },
  { command: 'token_refresh', code: 'ACCOUNT_INACTIVE', as: 31, frame: ({ app }) => ({ token: tokenFor(app, 31) }), before: async ({ app }) => { await app.db.update(users).set({ status: 'INACTIVE' }).where(eq(users.id, '31')) } },

  { command: 'user_message', code: 'MISSING_FIELDS', frame: () => ({ roomId: 1, messageType: 'TEXT' }) },
  { command: 'user_message', code: 'INVALID_FORMAT', frame: () => ({ roomId: 1, messageType: 'TEXT', content: '   ' }) },
  { command: 'user_message', code: 'FORBIDDEN', frame: () => ({ roomId: 1, messageType: 'IMAGE', attachmentId: NO_ROW }) },
  { command: 'user_message', code: 'ROOM_NOT_FOUND', frame: () => ({ roomId: NO_ROW, messageType: 'TEXT', content: 'a' }) },
  { command: 'user_message', code: 'NOT_A_MEMBER', frame: () => ({ roomId: OUTSIDE, messageType: 'TEXT', content: 'a' }) },
  { command: 'user_message', code: 'MESSAGE_NOT_FOUND', frame: () => ({ roomId: 1, messageType: 'TEXT', content: 'a', replyToMessageId: NO_ROW }) },

  { command: 'room_history', code: 'ROOM_NOT_FOUND', frame: () => ({ roomId: NO_ROW }) },
  { command: 'room_history', code: 'NOT_A_MEMBER', frame: () => ({ roomId: OUTSIDE }) },

  { command: 'room_list', code: 'INVALID_FORMAT', frame: () => ({ before: 'not-a-cursor' }) },

  { command: 'message_read', code: 'ROOM_NOT_FOUND', frame: ({ own }) => ({ roomId: NO_ROW, messageId: own }) },
  { command: 'message_read', code: 'NOT_A_MEMBER', frame: ({ own }) => ({ roomId: OUTSIDE, messageId: own }) },
  { command: 'message_read', code: 'MESSAGE_NOT_FOUND', frame: () => ({ roomId: 1, messageId: NO_ROW }) },

  { command: 'typing', code: 'NOT_A_MEMBER', frame: () => ({ roomId: OUTSIDE, isTyping: true }) },

  { command: 'message_edit', code: 'INVALID_FORMAT', frame: ({ own }) => ({ messageId: own, content: '   ' }) },
  { command: 'message_edit', code: 'MESSAGE_NOT_FOUND', frame: () => ({ messageId: NO_ROW, content: 'a' }) },
  { command: 'message_edit', code: 'FORBIDDEN', frame: ({ others }) => ({ messageId: others, content: 'a' }) },
  { command: 'message_edit', code: 'EDIT_WINDOW_PASSED', frame: ({ old }) => ({ messageId: old, content: 'a' }) },

  { command: 'message_delete', code: 'MESSAGE_NOT_FOUND', frame: () => ({ messageId: NO_ROW }) },
  // 4 is a member of room 1, not its owner.
  { command: 'message_delete', code: 'FORBIDDEN', frame: ({ others }) => ({ messageId: others }) },

  { command: 'room_create', code: 'INVALID_FORMAT', as: 15, frame: () => ({ listingId: 123, memberIds: [14] }) },
  { command: 'room_create', code: 'MISSING_FIELDS', as: 15, frame: () => ({}) },
  // The agent contacting their own listing.
  { command: 'room_create', code: 'FORBIDDEN', frame: () => ({ listingId: 123 }) },
  { command: 'room_create', code: 'USER_NOT_FOUND', frame: () => ({ memberIds: [14, NO_ROW] }) },

  { command: 'room_add_member', code: 'ROOM_NOT_FOUND', frame: () => ({ roomId: NO_ROW, userId: 15 }) },
  { command: 'room_add_member', code: 'NOT_A_MEMBER', frame: () => ({ roomId: OUTSIDE, userId: 15 }) },
  { command: 'room_add_member', code: 'FORBIDDEN', frame: () => ({ roomId: 1, userId: 15 }) },
  { command: 'room_add_member', code: 'USER_NOT_FOUND', frame: ({ mine }) => ({ roomId: mine, userId: NO_ROW }) },

  { command: 'room_remove_member', code: 'ROOM_NOT_FOUND', frame: () => ({ roomId: NO_ROW, userId: 15 }) },
  { command: 'room_remove_member', code: 'NOT_A_MEMBER', frame: () => ({ roomId: OUTSIDE, userId: 15 }) },
  { command: 'room_remove_member', code: 'FORBIDDEN', frame: () => ({ roomId: 1, userId: 14 }) },

  { command: 'room_leave', code: 'ROOM_NOT_FOUND', frame: () => ({ roomId: NO_ROW }) },
  { command: 'room_leave', code: 'NOT_A_MEMBER', frame: () => ({ roomId: OUTSIDE }) },

  { command: 'room_mute', code: 'INVALID_FORMAT', frame: () => ({ roomId: 1, until: '2030-02-30T00:00Z' }) },
  { command: 'room_mute', code: 'ROOM_NOT_FOUND', frame: () => ({ roomId: NO_ROW }) },
  { command: 'room_mute', code: 'NOT_A_MEMBER', frame: () => ({ roomId: OUTSIDE }) },

  { command: 'push_register', code: 'INVALID_FORMAT', frame: () => ({ provider: 'webpush', subscription: { endpoint: 'ftp://push.example/1', keys: { p256dh: 'x', auth: 'y' } } }) },
  { command: 'push_register', code: 'MISSING_FIELDS', frame: () => ({ provider: 'fcm' }) }
]

test('every failure a command declares for itself is in the table below', () => {
  const reached = new Set(CASES.map((entry) => `${entry.command} ${entry.code}`))
  const declared = Object.entries(commands).flatMap(([name, definition]) => definition.failures.map((code) => `${name} ${code}`))
  assert.deepEqual(declared.filter((entry) => !reached.has(entry)), [], 'declared, and no case reaches it: reach it below, or drop it from the declaration')
  assert.deepEqual([...reached].filter((entry) => !declared.includes(entry)), [], 'reached, and not declared by the command itself')
})

test('each declared failure is answered over a real socket, with its code and exact reason', async (t) => {
  const app = await build(t, db.database, { ...COMMAND_TEST_CONFIG, ACCOUNT_CHECK_INTERVAL_MS: 3_600_000 })
  const url = await listen(app)
  await addRoom(app, '2', { 4: 'OWNER', 15: 'MEMBER' })
  await addRoom(app, String(OUTSIDE), { 14: 'OWNER', 15: 'MEMBER' })
  await app.db.insert(users).values([{ id: '30', fullname: 'Đỗ Văn G' }, { id: '31', fullname: 'Vũ Thị H' }])
  const sockets = new Map<number, TestClient>()
  const socketOf = async (userId: number): Promise<TestClient> => {
    let client = sockets.get(userId)
    if (client === undefined) {
      client = await loggedIn(app, userId, `device-${userId}`, { url })
      sockets.set(userId, client)
    }
    return client
  }
  const agent = await socketOf(4)
  const buyer = await socketOf(14)
  const old = (await say(agent, 1, 'cũ')).messageId as string
  await ageMessage(app, old, 24 * 3600_000)
  const scene: Scene = {
    app,
    mine: '2',
    own: (await say(agent, 1, 'của tôi')).messageId,
    old,
    others: (await say(buyer, 1, 'của người mua')).messageId
  }
  try {
    for (const [index, entry] of CASES.entries()) {
      await t.test(`${entry.command}: ${entry.code}`, async () => {
        const client = entry.as === null ? await connectReal(url) : await socketOf(entry.as ?? 4)
        try {
          await entry.before?.(scene, client)
          const requestId = `case-${index}`
          const { command, result, reason, code, requestId: echoed } = await client.request({ ...entry.frame(scene), command: entry.command, requestId })
          assert.deepEqual({ command, result, reason, code, requestId: echoed }, { command: entry.command, result: 'failed', reason: Failures[entry.code], code: entry.code, requestId })
        } finally {
          if (entry.as === null) client.close()
        }
      })
    }
  } finally {
    for (const client of sockets.values()) client.close()
  }
})
