import type { TObject, TSchema } from '@sinclair/typebox'
import { CloseCodes, LibraryCloseCodes } from '../protocol/close-codes.js'
import { Failures, type FailureCode } from '../protocol/errors.js'
import { Events, Failure, type FrameDefinition } from '../protocol/events.js'
import { SERVER_VERSION } from '../protocol/version.js'
import { commandFailures, dispatcherFailures } from './dispatch.js'
import { commands } from './index.js'
import type { CommandDefinition } from './types.js'

/** What each close code of the protocol means to a client; a new code fails to compile until it is described here. */
const CLOSE_CODE_MEANINGS: Record<keyof typeof CloseCodes, string> = {
  LOGOUT: 'logout (after `user_logout`)',
  SHUTTING_DOWN: 'the server is shutting down: reconnect with backoff',
  AUTH_TIMEOUT: 'not logged in within AUTH_TIMEOUT_MS',
  SESSION_REPLACED: 'the session was replaced by a newer login of the same (userId, uuid); `session_replaced` came first',
  SESSION_EXPIRED: 'the token expired without a `token_refresh`; `session_expired` came first',
  ACCOUNT_DISABLED: 'the account was banned or deactivated; `account_disabled` came first',
  FLOODING: 'flooding past the rate limit, or 5 failed logins on one socket',
  TOO_SLOW: 'too slow to read: the send buffer passed MAX_BUFFERED_BYTES'
}
/** Sent by the WebSocket library itself, not by the server's code. */
const LIBRARY_CLOSE_CODE_MEANINGS: Record<keyof typeof LibraryCloseCodes, string> = {
  INVALID_PAYLOAD: 'a text frame that is not valid UTF-8',
  POLICY_VIOLATION: 'a message split into more than MAX_FRAGMENTS fragments',
  TOO_LARGE: 'a frame larger than MAX_PAYLOAD_BYTES'
}

const CHANNEL = { $ref: '#/channels/chat' }
const channelMessage = (key: string) => ({ $ref: `#/channels/chat/messages/${key}` })
const requestKey = (command: string) => `request.${command}`
const answerKey = (definition: FrameDefinition) => `answer.${definition.name}`
const eventKey = (definition: FrameDefinition) => `event.${definition.name}`
const FAILED_KEY = 'failed'

/** A TypeBox schema as plain JSON Schema (TypeBox's own markers are symbols, which JSON leaves out). */
const plain = (schema: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>

/** A command's request schema with its `command` fixed to the command's name. */
function requestPayload (name: string, schema: TSchema): Record<string, unknown> {
  const payload = plain(schema)
  const properties = (payload.properties ?? {}) as Record<string, unknown>
  return { ...payload, properties: { ...properties, command: { const: name, type: 'string' } } }
}

const frameMessage = (definition: FrameDefinition, title: string) => ({
  name: definition.command ?? definition.name,
  title,
  summary: definition.description,
  payload: plain(definition.schema as TObject)
})

const failureTable = (codes: readonly FailureCode[] = Object.keys(Failures) as FailureCode[]) =>
  `| code | reason |\n|---|---|\n${codes.map((code) => `| ${code} | ${Failures[code]} |`).join('\n')}`

const closeCodeList = () => [
  ...(Object.entries(CloseCodes) as Array<[keyof typeof CloseCodes, number]>).map(([name, code]) => ({ code, name, meaning: CLOSE_CODE_MEANINGS[name] })),
  ...(Object.entries(LibraryCloseCodes) as Array<[keyof typeof LibraryCloseCodes, number]>).map(([name, code]) => ({ code, name, meaning: LIBRARY_CLOSE_CODE_MEANINGS[name] }))
].sort((a, b) => a.code - b.code)

/**
 * The AsyncAPI 3.0 document of /ws, generated from the command table (each command's schema, its success
 * answer and the failures it may be answered with), the event table (every pushed frame) and the close
 * codes: it cannot drift from the validators. GET /asyncapi.json serves it; `npm run asyncapi` writes docs/asyncapi.json.
 */
export function asyncApiDocument (table: Record<string, CommandDefinition> = commands): Record<string, unknown> {
  const messages: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  for (const [name, definition] of Object.entries(table)) {
    messages[requestKey(name)] = {
      name,
      title: `${name} (request)`,
      summary: definition.requiresAuth ? 'Needs a logged-in socket.' : 'Accepted before login.',
      payload: requestPayload(name, definition.schema)
    }
    const replies = [channelMessage(FAILED_KEY)]
    if (definition.answer !== undefined) {
      messages[answerKey(definition.answer)] = frameMessage(definition.answer, `${name} (answer)`)
      replies.unshift(channelMessage(answerKey(definition.answer)))
    }
    const failures = commandFailures(definition)
    operations[name] = {
      action: 'receive',
      channel: CHANNEL,
      summary: `The client sends \`${name}\`.`,
      description: `${definition.answer === undefined
        ? 'Fire-and-forget: answered only when it fails.'
        : `Answered with \`${definition.answer.name}\`, or with \`failed\`.`} A \`failed\` answer's \`code\` and \`reason\` are one of:\n\n${failureTable(failures)}`,
      messages: [channelMessage(requestKey(name))],
      reply: { channel: CHANNEL, messages: replies },
      'x-requires-auth': definition.requiresAuth,
      // Every failure this command may be answered with; of them, the dispatcher's apply to any handler.
      'x-failures': failures.map((code) => ({ code, reason: Failures[code] })),
      'x-dispatcher-failures': dispatcherFailures(definition),
      ...(definition.pipelined === true && { 'x-pipelined': true })
    }
  }
  for (const definition of Object.values(Events) as FrameDefinition[]) {
    messages[eventKey(definition)] = frameMessage(definition, `${definition.name} (event)`)
    operations[`event.${definition.name}`] = {
      action: 'send',
      channel: CHANNEL,
      summary: definition.description,
      messages: [channelMessage(eventKey(definition))]
    }
  }
  messages[FAILED_KEY] = {
    ...frameMessage(Failure, 'failed'),
    name: 'failed',
    description: `The answer to any command that failed (each operation lists the failures of its command). \`reason\` is the contract's text, \`code\` its stable name:\n\n${failureTable()}`,
    'x-failures': Failures
  }
  const closeCodes = closeCodeList()
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'BDSTHAT chat: the /ws protocol',
      version: SERVER_VERSION,
      description: 'One WebSocket per device. Every frame is a JSON text frame `{"command": …}`; a command may carry a `requestId` ' +
        '(1-64 characters) that its answer echoes. Log in first with `user_login`. The prose contract is docs/protocol.md; ' +
        'this document is generated from the server\'s command table and event table.'
    },
    defaultContentType: 'application/json',
    servers: {
      development: { host: 'localhost:3000', protocol: 'ws', description: 'npm start on a developer\'s machine' }
    },
    channels: {
      chat: {
        address: '/ws',
        title: 'The chat socket',
        description: `Close codes:\n\n| code | meaning |\n|---|---|\n${closeCodes.map((entry) => `| ${entry.code} | ${entry.meaning} |`).join('\n')}`,
        messages,
        bindings: { ws: { method: 'GET', bindingVersion: '0.1.0' } },
        'x-close-codes': closeCodes
      }
    },
    operations
  }
}

/** The document as it is served and committed: two-space JSON with a final newline. */
export const asyncApiText = (): string => `${JSON.stringify(asyncApiDocument(), null, 2)}\n`
