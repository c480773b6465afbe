import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Value } from '@sinclair/typebox/value'
import { commands } from '../../src/commands/index.js'
import { commandFailures } from '../../src/commands/dispatch.js'
import { Failures } from '../../src/protocol/errors.js'
import { connectReal, listen, loggedInReal, useDatabase, type Frame, type TestClient } from '../helpers.js'
import { buildLogged } from './log-capture.js'
import { COMMAND_TEST_CONFIG, examples, fieldValues, prepare, USER_OF } from './command-examples.js'
import { arbitraryOf, variationsOf } from './schema-arbitrary.js'

const db = useDatabase()

/** Runs per command: each is one frame over a real socket and a ping round trip. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40)
const ERROR_LEVEL = 50

let barriers = 0
/**
 * Sends `frame`, then a ping: what arrives before the pong is everything the frame got (answers on one
 * socket keep their order). Answers the frames, or `closed` when the socket closed first.
 */
async function exchange (client: TestClient, frame: Frame): Promise<{ frames: Frame[], closed?: { code: number } }> {
  const barrier = `barrier-${++barriers}`
  client.send(frame)
  client.send({ command: 'ping', requestId: barrier })
  const frames: Frame[] = []
  for (;;) {
    let next: Frame
    try {
      next = await client.next(() => true, 5000)
    } catch (error) {
      const closed = await client.closedWithin(1000).catch(() => undefined)
      if (closed !== undefined) return { frames, closed }
      throw error
    }
    if (next.command === 'pong' && next.requestId === barrier) return { frames }
    frames.push(next)
  }
}

/** The close codes the protocol allows in answer to a command: logout, and too many failed logins. */
const ALLOWED_CLOSES: Record<string, number[]> = { user_logout: [1000], user_login: [4029] }

for (const [name, definition] of Object.entries(commands)) {
  // What the command declares it may answer (its own refusals and the dispatcher's): nothing else may come.
  const declared = new Set<string>(commandFailures(definition))
  test(`${name}: frames its schema accepts are answered within the protocol and its declared failures, never "Internal error"`, async (t) => {
    const { app, lines } = await buildLogged(t, db.database, COMMAND_TEST_CONFIG)
    const url = await listen(app)
    const known = examples(app, await prepare(app, url))[name]
    assert.ok(known !== undefined && known.length > 0, `examples of ${name}`)
    const options = { fieldValues: fieldValues(app) }
    const frames = fc.oneof(
      arbitraryOf(definition.schema, options) as fc.Arbitrary<Frame>,
      variationsOf(definition.schema, known.map((example) => ({ command: name, ...example })), options)
    ).map((frame) => ({ ...frame, command: name }))
    // A socket logged in for commands that need it, a fresh one for those sent before login.
    const userId = USER_OF[name] ?? 4
    const open = async (): Promise<TestClient> => definition.requiresAuth ? loggedInReal(app, url, userId, `device-${userId}`) : connectReal(url)
    let client = await open()
    try {
      // Each example succeeds as it stands (fire-and-forget ones answer nothing): they reach the code deep down.
      for (const example of known) {
        if (!definition.requiresAuth) {
          client.close()
          client = await open()
        }
        const { frames: received, closed } = await exchange(client, { command: name, ...example })
        const answers = received.filter((frame) => frame.result !== undefined)
        assert.ok(answers.every((answer) => answer.result === 'success'), `example ${JSON.stringify(example)}: ${JSON.stringify(answers)}`)
        if (closed !== undefined) {
          assert.ok((ALLOWED_CLOSES[name] ?? []).includes(closed.code))
          client = await open()
        }
      }
      await fc.assert(fc.asyncProperty(frames, async (frame) => {
        assert.ok(Value.Check(definition.schema, frame), `the generator made a frame the schema refuses: ${JSON.stringify(frame)}`)
        if (!definition.requiresAuth) {
          client.close()
          client = await open()
        }
        const { frames: received, closed } = await exchange(client, frame)
        for (const answer of received.filter((received) => received.result !== undefined)) {
          const code = answer.code as keyof typeof Failures | undefined
          if (answer.result === 'failed') {
            assert.ok(code !== undefined && Object.hasOwn(Failures, code), `unknown failure ${JSON.stringify(answer)}`)
            assert.notEqual(code, 'INTERNAL', `"Internal error" for ${JSON.stringify(frame)}`)
            assert.equal(answer.reason, Failures[code])
            assert.ok(declared.has(code), `${name} answered ${code}, which its definition does not declare: ${JSON.stringify(frame)}`)
          } else {
            assert.equal(answer.result, 'success', JSON.stringify(answer))
          }
        }
        if (closed !== undefined) {
          assert.ok((ALLOWED_CLOSES[name] ?? []).includes(closed.code), `${name} closed the socket with ${closed.code}: ${JSON.stringify(frame)}`)
          client = await open()
        }
      }), { numRuns: RUNS })
    } finally {
      client.close()
    }
    const errors = lines().filter((line) => Number(line.level) >= ERROR_LEVEL)
    assert.deepEqual(errors.map((line) => line.msg), [], JSON.stringify(errors).slice(0, 1000))
  })
}
