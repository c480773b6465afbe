/**
 * Every failure the protocol can answer with: the human `reason` (exact text of the contract) and the
 * stable machine `code`. No reason string is typed anywhere else.
 */
export const Failures = {
  INVALID_FORMAT: 'Invalid message format',
  MISSING_FIELDS: 'Missing required fields',
  UNKNOWN_COMMAND: 'Unknown command',
  INVALID_TOKEN: 'Invalid token',
  TOKEN_EXPIRED: 'Token expired',
  ACCOUNT_INACTIVE: 'Account is not active',
  USER_NOT_FOUND: 'User not found',
  NOT_AUTHENTICATED: 'Not authenticated',
  ROOM_NOT_FOUND: 'Chat room not found',
  NOT_A_MEMBER: 'You are not a member of this room',
  MESSAGE_NOT_FOUND: 'Message not found',
  FORBIDDEN: 'Not allowed',
  EDIT_WINDOW_PASSED: 'Edit window has passed',
  RATE_LIMITED: 'Rate limit exceeded',
  UNAVAILABLE: 'Server is busy, try again',
  // Attachments (HTTP only: POST /uploads, GET /media/...).
  FILE_TOO_LARGE: 'File too large',
  UNSUPPORTED_TYPE: 'File type not allowed',
  ATTACHMENT_NOT_FOUND: 'Attachment not found',
  DIRECT_UPLOADS_OFF: 'Direct uploads need object storage',
  // Any HTTP route: a path or method this server does not serve.
  NOT_FOUND: 'Not found',
  INTERNAL: 'Internal error'
} as const

export type FailureCode = keyof typeof Failures

export interface FieldError {
  path: string
  message: string
}

/** A failure a command handler raises on purpose; the route turns it into a `result: "failed"` answer. */
export class CommandFailure extends Error {
  readonly code: FailureCode
  readonly errors?: FieldError[]

  constructor (code: FailureCode, errors?: FieldError[]) {
    super(Failures[code])
    this.name = 'CommandFailure'
    this.code = code
    if (errors !== undefined) this.errors = errors
  }
}

export const fail = (code: FailureCode, errors?: FieldError[]): never => {
  throw new CommandFailure(code, errors)
}
