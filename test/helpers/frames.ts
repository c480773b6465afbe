import type { Frame } from './client.js'

/** The failure answer a client expects: the contract's exact reason text and code. */
export const failure = (command: string | undefined, reason: string, code: string, extra: Frame = {}): Frame =>
  ({ ...(command !== undefined && { command }), result: 'failed', reason, code, ...extra })

/** A demo user (id 4 or 14) sending a TEXT message to the demo room. */
export const textMessage = (content: string, extra: Frame = {}): Frame =>
  ({ command: 'user_message', roomId: 1, content, messageType: 'TEXT', ...extra })
