import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { lockFileOf } from '../../src/db/pglite-lock.js'
import { childEnv, runNode, SERVER, tempDir } from './processes.js'

// The embedded database only: PostgreSQL serves any number of processes.
test('a PGlite directory serves one process: a second server and `npm run seed` refuse while it runs; a stale lock is taken over', { timeout: 240_000 }, async (t) => {
  const dir = join(tempDir(t, 'chat-lock-'), 'pglite')
  const lock = lockFileOf(dir)
  const env = childEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', PGLITE_DIR: dir, DATABASE_URL: '' })
  const first = runNode(t, SERVER, env)
  await first.line(/Server listening/)
  assert.equal(readFileSync(lock, 'utf8').trim(), String(first.child.pid), 'the lock holds the PID of the server')

  const refusal = new RegExp(`^PGLITE_DIR ${dir} is in use by process ${first.child.pid}: .*Stop the other server`)
  for (const [name, args] of [['a second server', SERVER], ['npm run seed', ['--import', 'tsx', 'src/cli/seed.ts']]] as const) {
    const second = runNode(t, [...args], env)
    const outcome = await Promise.race([second.exited.then(({ code }) => code), second.line(/Server listening/).then(() => 'listening', () => 'exited')])
    assert.equal(outcome, 1, `${name} exits with 1`)
    assert.match(second.stderr, refusal, name)
    assert.doesNotMatch(second.stderr, /\n\s+at /, `${name}: no stack trace`)
  }
  assert.ok(existsSync(lock), 'the refused processes left the lock alone')

  await first.stop()
  assert.equal(existsSync(lock), false, 'a server that stops releases the directory')

  // A lock left by a process that is gone (killed with SIGKILL): the next server takes the directory over.
  const gone = runNode(t, ['-e', ''], env)
  await gone.exited
  writeFileSync(lock, `${gone.child.pid}\n`)
  const next = runNode(t, SERVER, env)
  await next.line(/Server listening/)
  assert.equal(readFileSync(lock, 'utf8').trim(), String(next.child.pid))
})
