import type { TestContext } from 'node:test'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { loggerOptions } from '../../src/logger.js'
import type { Database } from '../../src/db/client.js'
import type { ConfigInput } from '../../src/config.js'
import { build } from '../helpers.js'

/** Like `build`, with the server's own logger settings writing into `lines` (one parsed JSON line each). */
export async function buildLogged (t: TestContext, database: Database, config: ConfigInput = {}): Promise<{ app: FastifyInstance, lines: () => Array<Record<string, unknown>>, text: () => string }> {
  const raw: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { raw.push(chunk.toString()); done() } })
  const app = await build(t, database, config, { logger: loggerOptions('debug', stream) })
  return {
    app,
    lines: () => raw.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => raw.join('')
  }
}
