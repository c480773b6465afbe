import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eq } from 'drizzle-orm'
import { users } from '../../src/db/schema.js'
import { build, connect, loggedIn, loggedInAll, tokenFor, useDatabase } from '../helpers.js'

const db = useDatabase()

test('a connected user who is banned gets account_disabled on every device, then close 4004; others chat on', async (t) => {
  const app = await build(t, db.database, { ACCOUNT_CHECK_INTERVAL_MS: 100 })
  const [phone, laptop, agent] = await loggedInAll(app, [[14, 'phone'], [14, 'laptop'], [4, 'agent-phone']])
  await app.db.update(users).set({ status: 'BANNED' }).where(eq(users.id, '14'))
  for (const device of [phone, laptop]) {
    assert.deepEqual(await device.next((frame) => frame.command === 'account_disabled', 5000), { command: 'account_disabled' })
    assert.equal((await device.closedWithin(5000)).code, 4004)
  }
  const again = await connect(app)
  assert.equal((await again.request({ command: 'user_login', userId: 14, token: tokenFor(app, 14), uuid: 'phone' })).code, 'ACCOUNT_INACTIVE')
  assert.equal((await agent.request({ command: 'ping' })).command, 'pong')
  assert.equal(agent.ws.readyState, agent.ws.OPEN)
  agent.close()
})

test('token_refresh of a user no longer active is "Account is not active"', async (t) => {
  // A check interval longer than the test: the refusal comes from token_refresh itself.
  const app = await build(t, db.database, { ACCOUNT_CHECK_INTERVAL_MS: 3_600_000 })
  const client = await loggedIn(app, 4)
  await app.db.update(users).set({ status: 'INACTIVE' }).where(eq(users.id, '4'))
  const answer = await client.request({ command: 'token_refresh', token: tokenFor(app, 4, '1y') })
  assert.deepEqual(answer, { command: 'token_refresh', result: 'failed', reason: 'Account is not active', code: 'ACCOUNT_INACTIVE' })
  client.close()
})
