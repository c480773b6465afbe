import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'drizzle-orm'
import { connect, loggedIn, receivedSoFar, tokenFor, useDatabase } from '../helpers.js'
import { buildLogged } from './log-capture.js'

const db = useDatabase()

test('tokens and message content never reach the logs, also when a store fails; the client gets "Internal error" with the logged errorId and no database text', async (t) => {
  const { app, lines, text } = await buildLogged(t, db.database)
  const token = tokenFor(app, 4)
  const wrongToken = `${tokenFor(app, 14)}x`
  const content = 'Giá bán 7 tỷ, số nhà 42 riêng tư'
  const failingContent = 'nội dung không được ghi log'

  const client = await connect(app)
  assert.equal((await client.request({ command: 'user_login', userId: 4, token: wrongToken, uuid: 'log-device' })).code, 'INVALID_TOKEN')
  assert.equal((await client.request({ command: 'user_login', userId: 4, token, uuid: 'log-device' })).result, 'success')
  assert.equal((await client.request({ command: 'user_message', roomId: 1, content, messageType: 'TEXT' })).result, 'success')

  await app.db.execute(sql.raw(`CREATE OR REPLACE FUNCTION refuse_message() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'message refused by a test trigger'; END $$ LANGUAGE plpgsql`))
  await app.db.execute(sql.raw('CREATE TRIGGER refuse_message BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_message()'))
  t.after(() => app.db.execute(sql.raw('DROP TRIGGER IF EXISTS refuse_message ON messages')))
  const member = await loggedIn(app, 14)
  const failed = await client.request({ command: 'user_message', roomId: 1, content: failingContent, messageType: 'TEXT', requestId: 'r-1' })
  assert.deepEqual(Object.keys(failed).sort(), ['code', 'command', 'errorId', 'reason', 'requestId', 'result'])
  assert.equal(failed.reason, 'Internal error')
  assert.equal(failed.code, 'INTERNAL')
  assert.match(failed.errorId, /^[0-9a-f-]{36}$/)
  const logged = lines().find((line) => line.errorId === failed.errorId)
  assert.equal(logged?.msg, 'command failed unexpectedly')
  assert.ok(lines().some((line) => line.msg === 'message store failed'))
  // The failed message reached nobody.
  assert.deepEqual((await receivedSoFar(member)).filter((frame) => frame.message?.content === failingContent), [])

  const all = text()
  assert.ok(all.includes('message refused by a test trigger'), 'the database error itself is logged')
  for (const secret of [token, wrongToken, token.split('.')[2]!, content, failingContent]) {
    assert.equal(all.includes(secret), false, `found in the logs: ${secret.slice(0, 30)}`)
  }
})

test('an unexpected error inside a handler answers "Internal error" with an errorId and logs the same id', async (t) => {
  const { app, lines } = await buildLogged(t, db.database)
  const client = await connect(app)
  // A missing table is an error no handler expects.
  await app.db.execute(sql.raw('ALTER TABLE users RENAME TO users_gone'))
  t.after(() => app.db.execute(sql.raw('ALTER TABLE IF EXISTS users_gone RENAME TO users')))
  const answer = await client.request({ command: 'user_login', userId: 4, token: tokenFor(app, 4), uuid: 'x' })
  assert.equal(answer.code, 'INTERNAL')
  assert.equal(JSON.stringify(answer).includes('users'), false)
  assert.equal(lines().find((line) => line.errorId === answer.errorId)?.msg, 'command failed unexpectedly')
})

test('a socket is logged by its own lines (opened, logged in), without a request line of its upgrade beside them', async (t) => {
  const { app, lines } = await buildLogged(t, db.database)
  await loggedIn(app, 4)
  const opened = lines().find((line) => line.msg === 'connection opened')
  assert.ok(opened !== undefined)
  assert.ok(lines().some((line) => line.msg === 'login succeeded' && line.connectionId === opened.connectionId))
  assert.equal(lines().some((line) => line.msg === 'incoming request'), false)
})
