/** WebSocket close codes of the protocol (PROTOCOL.md, "Close codes"). */
export const CloseCodes = {
  LOGOUT: 1000,
  SHUTTING_DOWN: 1001,
  INVALID_PAYLOAD: 1007,
  TOO_LARGE: 1009,
  AUTH_TIMEOUT: 4001,
  SESSION_REPLACED: 4002,
  SESSION_EXPIRED: 4003,
  ACCOUNT_DISABLED: 4004,
  FLOODING: 4029,
  TOO_SLOW: 4030
} as const
