/**
 * The WebSocket close codes the server's own code sends (PROTOCOL.md, "Close codes"). The `ws` library
 * sends 1007, 1008 and 1009 itself, from the limits it is given (src/app.ts).
 */
export const CloseCodes = {
  LOGOUT: 1000,
  SHUTTING_DOWN: 1001,
  AUTH_TIMEOUT: 4001,
  SESSION_REPLACED: 4002,
  SESSION_EXPIRED: 4003,
  ACCOUNT_DISABLED: 4004,
  FLOODING: 4029,
  TOO_SLOW: 4030
} as const
