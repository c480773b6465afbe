import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ROOT } from './processes.js'

const run = promisify(execFile)

// The suites of timers once ran on node:test's MockTimers, which prints an ExperimentalWarning in every run.
test('the timer suites run without an ExperimentalWarning', async () => {
  // A run of its own, not a subtest of this one (the runner marks its children with NODE_TEST_CONTEXT).
  const { NODE_TEST_CONTEXT: _, ...env } = process.env
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/sessions/expiry.test.ts'], { cwd: ROOT, env })
  assert.match(stdout, /# pass [1-9]/)
  assert.doesNotMatch(stdout + stderr, /ExperimentalWarning/)
})
