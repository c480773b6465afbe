import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { commands } from '../../src/commands/index.js'
import { createDispatcher } from '../../src/commands/dispatch.js'
import { Failures } from '../../src/protocol/errors.js'
import { build, loggedIn, useDatabase } from '../helpers.js'

const db = useDatabase()

const commandNames = Object.keys(commands)
const anyValue = fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }), fc.constant('__proto__'), fc.integer(), fc.constant(null))
/** Frames that look like commands: a real command name (or a near miss) with random fields, some of them real field names. */
const commandLike = fc.record({
  command: fc.oneof(fc.constantFrom(...commandNames, 'ping', '__proto__', 'constructor', ''), fc.string()),
  fields: fc.dictionary(fc.oneof(fc.constantFrom('roomId', 'userId', 'token', 'uuid', 'content', 'messageType', 'media', 'requestId', 'clientMessageId', '__proto__'), fc.string()), anyValue, { maxKeys: 6 })
}).map(({ command, fields }) => JSON.stringify({ ...fields, command }))
const frames = fc.oneof(
  commandLike,
  fc.json().map((text) => text),
  fc.string({ unit: 'binary' }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1'))
)

test('the dispatcher answers thousands of random frames within the protocol and never throws', async (t) => {
  const app = await build(t, db.database)
  const client = await loggedIn(app, 4)
  const conn = [...app.sessions.connections][0]!
  const dispatch = createDispatcher(app, commands)
  let answered = 0
  await fc.assert(fc.asyncProperty(frames, fc.boolean(), async (frame, isBinary) => {
    const outcome = await dispatch(conn, Buffer.from(frame, 'utf8'), isBinary)
    if (outcome.answer === undefined) return
    answered++
    const answer = JSON.parse(outcome.answer) as Record<string, unknown>
    assert.equal(typeof answer, 'object')
    // `pong` is the one answer without `result` (the contract's ping).
    if (answer.command === 'pong') return
    if (answer.result === 'success') {
      assert.ok(commandNames.includes(answer.command as string), outcome.answer)
      return
    }
    assert.equal(answer.result, 'failed', outcome.answer)
    const code = answer.code as keyof typeof Failures
    assert.ok(Object.hasOwn(Failures, code), `unknown code in ${outcome.answer}`)
    assert.equal(answer.reason, Failures[code])
    assert.ok(code !== 'INTERNAL', `internal error for ${frame}`)
    if (answer.requestId !== undefined) assert.ok(typeof answer.requestId === 'string' && answer.requestId.length <= 64)
  }), { numRuns: 2000 })
  assert.ok(answered > 1500, `${answered} answers`)
  client.close()
})
