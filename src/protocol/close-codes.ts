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

/** Sent by the `ws` library itself, from the limits the server gives it (src/app.ts). */
export const LibraryCloseCodes = {
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  TOO_LARGE: 1009
} as const

/** The other codes of RFC 6455 a peer may close with, or that `ws` reports for a connection that just ended. */
export const PeerCloseCodes = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  INTERNAL_ERROR: 1011
} as const
