import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { caveatsOf } from '../../bench/lib/report.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const committed = `${root}bench/results/latest.json`
const scratch = `${root}bench/results/scratch/`

test('a quick benchmark run leaves the committed results alone and says it cannot be compared with the targets', async () => {
  const before = readFileSync(committed, 'utf8')
  // The smallest real run: the in-process scenario on the project alone (on PostgreSQL when DATABASE_URL is set).
  const { stdout } = await run('npm', ['run', '--silent', 'bench', '--', '--quick', '--only=commit', '--servers=project'], { cwd: root, maxBuffer: 1 << 24 })
  assert.equal(readFileSync(committed, 'utf8'), before, 'bench/results/latest.json is unchanged')
  assert.match(stdout, /results in bench\/results\/scratch\/latest\.json/)
  const written = JSON.parse(readFileSync(`${scratch}latest.json`, 'utf8')) as { caveats: string[], commit?: unknown }
  assert.ok(written.commit !== undefined, 'the run itself is written')
  assert.ok(written.caveats.some((caveat) => caveat.includes('--quick')))
  assert.match(readFileSync(`${scratch}latest.md`, 'utf8'), /\*\*Not comparable with the targets:\*\* a --quick smoke run/)
})

test('only a full run on PostgreSQL is comparable with the targets', () => {
  assert.deepEqual(caveatsOf({ quick: false, database: 'PostgreSQL', partial: false }), [])
  assert.equal(caveatsOf({ quick: false, database: 'PGlite', partial: false }).length, 1)
  assert.equal(caveatsOf({ quick: false, database: 'PostgreSQL', partial: true }).length, 1)
  assert.equal(caveatsOf({ quick: true, database: 'PGlite', partial: true }).length, 3)
})
