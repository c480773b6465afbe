import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build, connect, TEST_CONFIG, useDatabase } from './helpers.js'

const db = useDatabase()
const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
// The CLI reads the environment: the test's secret, and nothing inherited that would change the token.
const env = { ...process.env, NODE_ENV: 'test', JWT_SECRET: String(TEST_CONFIG.JWT_SECRET), JWT_ISSUER: '', JWT_AUDIENCE: '', JWT_ALGORITHMS: '', JWT_USER_CLAIM: '' }

test('npm run --silent token -- 4 prints only a JWT, and the server accepts it for user 4', async (t) => {
  const { stdout } = await run('npm', ['run', '--silent', 'token', '--', '4'], { cwd: root, env })
  assert.match(stdout, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/)
  const app = await build(t, db.database)
  const client = await connect(app)
  const answer = await client.request({ command: 'user_login', userId: 4, token: stdout.trim(), uuid: 'wscat' })
  assert.equal(answer.result, 'success')
  assert.equal(answer.user.userId, '4')
})

test('the token CLI without a user id prints its usage and fails', async () => {
  await assert.rejects(run('npm', ['run', '--silent', 'token'], { cwd: root, env }), (error: { code: number, stdout: string, stderr: string }) => {
    assert.equal(error.code, 2)
    assert.equal(error.stdout, '')
    assert.match(error.stderr, /usage: npm run --silent token -- <userId>/)
    return true
  })
})

test('the token CLI with a lifetime it cannot read says what it accepts, without a library stack', async () => {
  for (const bogus of ['bogus', '0', '-5', '2 weeks', '1.5h']) {
    await assert.rejects(run('npm', ['run', '--silent', 'token', '--', '4', '--expires-in', bogus], { cwd: root, env }), (error: { code: number, stdout: string, stderr: string }) => {
      assert.equal(error.code, 2, bogus)
      assert.equal(error.stdout, '')
      assert.equal(error.stderr, `--expires-in must be a positive number of seconds or a number with s, m, h or d (90, 90s, 30m, 2h, 7d); got ${JSON.stringify(bogus)}\nusage: npm run --silent token -- <userId> [--expires-in 1h]\n`)
      return true
    })
  }
})

test('the token CLI\'s lifetimes: 1 hour by default, --expires-in in seconds or with a unit', async () => {
  const lifetime = async (...extra: string[]) => {
    const { stdout } = await run('npm', ['run', '--silent', 'token', '--', '4', ...extra], { cwd: root, env })
    const claims = JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString()) as { iat: number, exp: number }
    return claims.exp - claims.iat
  }
  assert.equal(await lifetime(), 3600)
  assert.equal(await lifetime('--expires-in', '90'), 90)
  assert.equal(await lifetime('--expires-in', '2h'), 7200)
  assert.equal(await lifetime('--expires-in', '7d'), 7 * 86_400)
})
