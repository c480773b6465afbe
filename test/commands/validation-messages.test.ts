import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kind, type TSchema } from '@sinclair/typebox'
import { commands } from '../../src/commands/index.js'
import { build, loggedIn, useDatabase } from '../helpers.js'

const db = useDatabase()

test('wrong values are answered with what a valid one looks like, not "Expected union value"', async (t) => {
  const app = await build(t, db.database)
  const client = await loggedIn(app, 4)
  const errorsFor = async (frame: Record<string, unknown>) =>
    (await client.request({ command: 'user_message', roomId: 1, content: 'hi', messageType: 'TEXT', ...frame })).errors
  assert.deepEqual(await errorsFor({ messageType: 'AUDIO' }), [{ path: '/messageType', message: 'must be one of TEXT, IMAGE, VIDEO, FILE' }])
  assert.deepEqual(await errorsFor({ roomId: 'abc' }), [{ path: '/roomId', message: 'must be an integer id or a string of digits' }])
  assert.deepEqual(await errorsFor({ roomId: 1.5 }), [{ path: '/roomId', message: 'must be an integer id or a string of digits' }])
  assert.deepEqual(await errorsFor({ content: 5 }), [{ path: '/content', message: 'must be a string or null' }])
  assert.deepEqual(await errorsFor({ clientMessageId: '' }), [{ path: '/clientMessageId', message: 'must be a string of 1 to 64 characters' }])
  const provider = await client.request({ command: 'push_register', provider: 'apns', token: 't' })
  assert.deepEqual(provider.errors, [{ path: '/provider', message: 'must be one of webpush, fcm' }])
})

test('every union in every command\'s schema says what it accepts', () => {
  const unnamed: string[] = []
  const walk = (schema: TSchema, path: string) => {
    if (schema[Kind] === 'Union' && typeof schema.errorMessage !== 'string') unnamed.push(path)
    for (const [key, child] of Object.entries((schema as { properties?: Record<string, TSchema> }).properties ?? {})) walk(child, `${path}/${key}`)
    for (const [index, child] of ((schema as { anyOf?: TSchema[] }).anyOf ?? []).entries()) walk(child, `${path}|${index}`)
    if ((schema as { items?: TSchema }).items !== undefined) walk((schema as unknown as { items: TSchema }).items, `${path}[]`)
  }
  for (const [name, entry] of Object.entries(commands)) walk(entry!.schema as TSchema, name)
  assert.deepEqual(unnamed, [])
})
