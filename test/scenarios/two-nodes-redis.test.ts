import { redisEngine, useDatabase } from '../helpers.js'
import { twoNodeScenarios } from './two-nodes.js'

const shared = useDatabase()

// The scenarios of the memory bus (two-nodes-memory.test.ts), over Redis: REDIS_URL's server, under a
// prefix of each cluster's own.
const engine = redisEngine()
if (engine === undefined) {
  const { test } = await import('node:test')
  test('two nodes over Redis', { skip: 'needs Redis: set REDIS_URL' }, () => {})
} else {
  twoNodeScenarios(engine, shared)
}
