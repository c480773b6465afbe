import { commandSchema } from '../protocol/envelope.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const Ping = commandSchema({})

/** Keeps a connection warm and lets a client measure latency and clock skew; works before login. */
export default defineCommand({
  schema: Ping,
  answer: Answers.ping,
  requiresAuth: false,
  failures: [],
  async handler () {
    return { serverTime: new Date().toISOString() }
  }
})
