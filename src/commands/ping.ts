import { commandSchema } from '../protocol/envelope.js'
import { defineCommand } from './types.js'

export const Ping = commandSchema({})

/** Keeps a connection warm and lets a client measure latency and clock skew; works before login. */
export default defineCommand({
  schema: Ping,
  requiresAuth: false,
  async handler () {
    return { command: 'pong', serverTime: new Date().toISOString() }
  }
})
