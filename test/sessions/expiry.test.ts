import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ExpiryTimers, type Expiring } from '../../src/sessions/expiry.js'

interface Item extends Expiring { name: string }
const item = (name: string): Item => ({ name, expiryAt: undefined })

/** Timers on a mocked clock that starts at a whole second; `due` lists the items in the order they fell due. */
function setup (t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 })
  const due: string[] = []
  const timers = new ExpiryTimers<Item>((expired) => { due.push(expired.name) })
  return { timers, due, tick: (ms: number) => { t.mock.timers.tick(ms) } }
}

test('an item falls due at its deadline rounded up to the second, never before', (t) => {
  const { timers, due, tick } = setup(t)
  const a = item('a')
  timers.set(a, 1_001_200)
  assert.equal(a.expiryAt, 1_002_000)
  tick(1999)
  assert.deepEqual(due, [])
  tick(1)
  assert.deepEqual(due, ['a'])
  assert.equal(a.expiryAt, undefined)
})

test('items fall due in the order of their deadlines, each once', (t) => {
  const { timers, due, tick } = setup(t)
  timers.set(item('late'), 1_009_000)
  timers.set(item('early'), 1_002_000)
  timers.set(item('same second'), 1_002_000)
  timers.set(item('middle'), 1_005_000)
  tick(2000)
  assert.deepEqual(due, ['early', 'same second'])
  tick(3000)
  assert.deepEqual(due, ['early', 'same second', 'middle'])
  tick(4000)
  assert.deepEqual(due, ['early', 'same second', 'middle', 'late'])
})

test('deadlines passed while the timer could not run fall due in their order', (t) => {
  const { timers, due, tick } = setup(t)
  timers.set(item('late'), 1_009_000)
  timers.set(item('early'), 1_002_000)
  timers.set(item('middle'), 1_005_000)
  tick(20_000)
  assert.deepEqual(due, ['early', 'middle', 'late'])
})

test('setting again moves the deadline; clearing cancels it', (t) => {
  const { timers, due, tick } = setup(t)
  const moved = item('moved')
  const cleared = item('cleared')
  timers.set(moved, 1_002_000)
  timers.set(cleared, 1_003_000)
  timers.set(moved, 1_060_000)
  timers.clear(cleared)
  assert.equal(cleared.expiryAt, undefined)
  tick(59_999)
  assert.deepEqual(due, [])
  tick(1)
  assert.deepEqual(due, ['moved'])
})

test('an item set again from onDue waits for its new deadline', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 })
  const due: number[] = []
  const timers = new ExpiryTimers<Item>((expired) => {
    due.push(Date.now())
    if (due.length === 1) timers.set(expired, Date.now() + 3000)
  })
  timers.set(item('refreshed'), 1_001_000)
  t.mock.timers.tick(1000)
  t.mock.timers.tick(2999)
  assert.deepEqual(due, [1_001_000])
  t.mock.timers.tick(1)
  assert.deepEqual(due, [1_001_000, 1_004_000])
})

test('a deadline past the longest setTimeout is reached in steps', (t) => {
  const { timers, due, tick } = setup(t)
  const far = 1_000_000 + 30 * 24 * 3600_000
  timers.set(item('far'), far)
  tick(2_147_483_647)
  assert.deepEqual(due, [])
  tick(far - 1_000_000 - 2_147_483_647)
  assert.deepEqual(due, ['far'])
})
