import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FrameBudget } from '../../src/sessions/rate-limit.js'

// A rate so low that nothing refills while a test runs.
const SLOW = 0.001

test('commands run up to the burst, are refused for twice the burst, then the socket is closed', () => {
  const budget = new FrameBudget(SLOW, 3)
  const admissions = Array.from({ length: 10 }, () => budget.admit(false))
  assert.deepEqual(admissions, ['run', 'run', 'run', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'close'])
})

test('typing has a bucket of its own: over it, indicators are dropped and commands still run', () => {
  const budget = new FrameBudget(SLOW, 2)
  assert.deepEqual([budget.admit(true), budget.admit(true), budget.admit(true)], ['run', 'run', 'drop'])
  assert.deepEqual([budget.admit(false), budget.admit(false), budget.admit(false)], ['run', 'run', 'refuse'])
})

test('a charge is a debt of at most one burst', () => {
  const budget = new FrameBudget(SLOW, 2)
  budget.charge(100)
  assert.equal(budget.admit(false), 'refuse')
})

test('the buckets refill at the rate, up to the burst', async () => {
  const budget = new FrameBudget(100, 2)
  assert.deepEqual([budget.admit(false), budget.admit(false), budget.admit(false)], ['run', 'run', 'refuse'])
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.deepEqual([budget.admit(false), budget.admit(false), budget.admit(false)], ['run', 'run', 'refuse'])
})
