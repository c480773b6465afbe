import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closeLabel } from '../../src/metrics/counts.js'

// The close codes of the protocol (PROTOCOL.md, "Close codes"), the ones `ws` sends from its limits, and
// the RFC 6455 codes a peer closes with: written out here, so a code the server starts sending without
// its label shows up as a failure, not as `other` on a dashboard.
const PROTOCOL = [1000, 1001, 1009, 4001, 4002, 4003, 4004, 4029, 4030]
const LIBRARY = [1007, 1008]
const PEER = [1002, 1003, 1005, 1006, 1011]

test('every close code the server, the WebSocket library or a peer uses is counted by its number, any other as `other`', () => {
  for (const code of [...PROTOCOL, ...LIBRARY, ...PEER]) assert.equal(closeLabel(code), String(code))
  // A peer may close with any code of the private range; each one is not a new series.
  for (const code of [3000, 4000, 4005, 4999, 1004, 1015]) assert.equal(closeLabel(code), 'other')
})
