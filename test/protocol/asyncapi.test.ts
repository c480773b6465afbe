import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Parser } from '@asyncapi/parser'
import { asyncApiText } from '../../src/commands/asyncapi.js'
import { commands } from '../../src/commands/index.js'
import { Events, Failure, serverFrames } from '../../src/protocol/events.js'
import { CloseCodes } from '../../src/protocol/close-codes.js'
import { Failures } from '../../src/protocol/errors.js'
import { build, useDatabase } from '../helpers.js'

const db = useDatabase()
const committedPath = new URL('../../docs/asyncapi.json', import.meta.url)

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>
const plain = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json

test('the committed docs/asyncapi.json is the document the tables generate (run `npm run asyncapi` after changing them)', () => {
  assert.equal(readFileSync(committedPath, 'utf8'), asyncApiText())
})

test('the AsyncAPI document is valid AsyncAPI 3.0 for @asyncapi/parser', async () => {
  const { document, diagnostics } = await new Parser().parse(asyncApiText())
  // Severity 0 is an error, 1 a warning; 2 and 3 are hints (such as "3.1.0 exists").
  const problems = diagnostics.filter((diagnostic) => diagnostic.severity <= 1)
  assert.deepEqual(problems.map((problem) => `${problem.code}: ${problem.message} at ${problem.path.join('/')}`), [])
  assert.ok(document !== undefined)
  assert.equal(document.version(), '3.0.0')
  assert.equal(document.operations().all().length, Object.keys(commands).length + Object.keys(Events).length)
})

test('every command of the handler table appears with its schema, its success answer and the failure answer', () => {
  const document = JSON.parse(asyncApiText()) as Json
  const messages = document.channels.chat.messages as Json
  const failed = messages.failed as Json
  assert.deepEqual(failed['x-failures'], Failures)
  assert.deepEqual(failed.payload, plain(Failure.schema))
  for (const code of Object.keys(Failures)) assert.match(failed.description as string, new RegExp(`\\| ${code} \\| ${Failures[code as keyof typeof Failures].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\|`))
  for (const [name, definition] of Object.entries(commands)) {
    const operation = document.operations[name] as Json
    assert.ok(operation !== undefined, `no operation for ${name}`)
    assert.equal(operation.action, 'receive')
    const request = messages[`request.${name}`] as Json
    assert.deepEqual(operation.messages, [{ $ref: `#/channels/chat/messages/request.${name}` }])
    const schema = plain(definition.schema)
    assert.deepEqual(request.payload.properties.command, { const: name, type: 'string' })
    assert.deepEqual({ ...request.payload, properties: { ...request.payload.properties, command: schema.properties.command } }, schema, `${name}'s request is its validator`)
    assert.equal(operation['x-requires-auth'], definition.requiresAuth)
    // What the dispatcher answers, worked out here from the definition rather than taken from the generator.
    const required = (schema.required as string[]).filter((field) => field !== 'command')
    const dispatcher = [
      'INVALID_FORMAT', 'UNAVAILABLE', 'INTERNAL',
      ...(required.length > 0 ? ['MISSING_FIELDS'] : []),
      ...(definition.requiresAuth ? ['NOT_AUTHENTICATED'] : []),
      // A typing indicator over its budget is dropped unanswered.
      ...(definition.budget === 'quiet' ? [] : ['RATE_LIMITED'])
    ]
    assert.deepEqual(new Set(operation['x-dispatcher-failures']), new Set(dispatcher), `${name}'s dispatcher failures`)
    const failures = operation['x-failures'] as Array<{ code: keyof typeof Failures, reason: string }>
    assert.deepEqual(new Set(failures.map((failure) => failure.code)), new Set([...dispatcher, ...definition.failures]), `${name}'s failures are its declaration and the dispatcher's`)
    assert.equal(failures.length, new Set(failures.map((failure) => failure.code)).size, `${name} lists each failure once`)
    const rows = (operation.description as string).split('\n').filter((line) => /^\| [A-Z_]+ \|/.test(line))
    assert.deepEqual(rows, failures.map(({ code }) => `| ${code} | ${Failures[code]} |`), `${name}'s description lists its failures`)
    for (const { code, reason } of failures) assert.equal(reason, Failures[code], `${name}: ${code}`)
    const replies = (operation.reply.messages as Json[]).map((ref) => ref.$ref as string)
    assert.ok(replies.includes('#/channels/chat/messages/failed'), `${name} can fail`)
    if (definition.answer === undefined) {
      assert.equal(replies.length, 1, `${name} is fire-and-forget`)
    } else {
      const key = `answer.${definition.answer.name}`
      assert.ok(replies.includes(`#/channels/chat/messages/${key}`))
      assert.deepEqual(messages[key].payload, plain(definition.answer.schema), `${name}'s answer is its table entry`)
    }
  }
})

test('every server frame of the event table appears, and every close code', () => {
  const document = JSON.parse(asyncApiText()) as Json
  const messages = document.channels.chat.messages as Json
  for (const definition of Object.values(Events)) {
    const operation = document.operations[`event.${definition.name}`] as Json
    assert.equal(operation?.action, 'send', `no send operation for ${definition.name}`)
    assert.deepEqual(messages[`event.${definition.name}`].payload, plain(definition.schema))
  }
  // Answers, events and the failure: each entry of the table is one message of the document.
  const payloads = Object.values(messages).map((message) => JSON.stringify((message as Json).payload))
  for (const definition of serverFrames) assert.ok(payloads.includes(JSON.stringify(plain(definition.schema))), `${definition.name} is missing`)
  const closeCodes = (document.channels.chat['x-close-codes'] as Json[]).map((entry) => entry.code as number)
  // The ws library's own closes (invalid UTF-8, too many fragments, too large) are the client's business too.
  for (const code of [...Object.values(CloseCodes), 1007, 1008, 1009]) {
    assert.ok(closeCodes.includes(code), `close code ${code}`)
    assert.match(document.channels.chat.description as string, new RegExp(`\\| ${code} \\| `))
  }
})

test('GET /asyncapi.json serves the same document', async (t) => {
  const app = await build(t, db.database)
  const response = await app.inject({ method: 'GET', url: '/asyncapi.json' })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /^application\/json/)
  assert.equal(response.body, asyncApiText())
})
