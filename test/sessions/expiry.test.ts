import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ExpiryTimers, type Clock, type Expiring } from '../../src/sessions/expiry.js'

interface Item extends Expiring { name: string }
const item = (name: string): Item => ({ name, expiryAt: undefined })

interface Timer { at: number, fire: () => void }

/** A clock moved by hand, starting at a whole second: `tick` fires the timers that fall due, in order. */
class ManualClock implements Clock {
  time = 1_000_000
  private readonly timers = new Set<Timer>()
  now = () => this.time
  setTimer = (fire: () => void, ms: number) => {
    const timer = { at: this.time + ms, fire }
    this.timers.add(timer)
    return timer
  }

  clearTimer = (timer: unknown) => { this.timers.delete(timer as Timer) }
  tick (ms: number): void {
    const target = this.time + ms
    for (;;) {
      const next = [...this.timers].filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0]
      if (next === undefined) break
      this.timers.delete(next)
      this.time = next.at
      next.fire()
    }
    this.time = target
  }
}

/** Timers on a hand-driven clock; `due` lists the items in the order they fell due. */
function setup () {
  const clock = new ManualClock()
  const due: string[] = []
  const timers = new ExpiryTimers<Item>((expired) => { due.push(expired.name) }, clock)
  return { timers, due, tick: (ms: number) => { clock.tick(ms) } }
}

test('an item falls due at its deadline rounded up to the second, never before', () => {
  const { timers, due, tick } = setup()
  const a = item('a')
  timers.set(a, 1_001_200)
  assert.equal(a.expiryAt, 1_002_000)
  tick(1999)
  assert.deepEqual(due, [])
  tick(1)
  assert.deepEqual(due, ['a'])
  assert.equal(a.expiryAt, undefined)
})

test('items fall due in the order of their deadlines, each once', () => {
  const { timers, due, tick } = setup()
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

test('deadlines passed while the timer could not run fall due in their order', () => {
  const { timers, due, tick } = setup()
  timers.set(item('late'), 1_009_000)
  timers.set(item('early'), 1_002_000)
  timers.set(item('middle'), 1_005_000)
  tick(20_000)
  assert.deepEqual(due, ['early', 'middle', 'late'])
})

test('setting again moves the deadline; clearing cancels it', () => {
  const { timers, due, tick } = setup()
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

test('an item set again from onDue waits for its new deadline', () => {
  const clock = new ManualClock()
  const due: number[] = []
  const timers = new ExpiryTimers<Item>((expired) => {
    due.push(clock.now())
    if (due.length === 1) timers.set(expired, clock.now() + 3000)
  }, clock)
  timers.set(item('refreshed'), 1_001_000)
  clock.tick(1000)
  clock.tick(2999)
  assert.deepEqual(due, [1_001_000])
  clock.tick(1)
  assert.deepEqual(due, [1_001_000, 1_004_000])
})

test('a deadline past the longest setTimeout is reached in steps', () => {
  const { timers, due, tick } = setup()
  const far = 1_000_000 + 30 * 24 * 3600_000
  timers.set(item('far'), far)
  tick(2_147_483_647)
  assert.deepEqual(due, [])
  tick(far - 1_000_000 - 2_147_483_647)
  assert.deepEqual(due, ['far'])
})
