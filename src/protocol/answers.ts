import { Failures, type FailureCode, type FieldError } from './errors.js'

/** A direct answer to a command that failed: `{command?, result: "failed", reason, code, requestId?, errors?, errorId?}`. */
export function failureFrame (
  command: string | undefined,
  code: FailureCode,
  requestId: string | undefined,
  extra: { errors?: FieldError[] | undefined, errorId?: string | undefined } = {}
): string {
  return JSON.stringify({
    ...(command !== undefined && { command }),
    result: 'failed',
    reason: Failures[code],
    code,
    ...(requestId !== undefined && { requestId }),
    ...(extra.errors !== undefined && { errors: extra.errors }),
    ...(extra.errorId !== undefined && { errorId: extra.errorId })
  })
}

/** A direct answer to a command that succeeded; a body that names its own `command` (pong) is sent as it is. */
export function successFrame (command: string, requestId: string | undefined, body: Record<string, unknown>): string {
  if (typeof body.command === 'string') {
    return JSON.stringify(requestId === undefined ? body : { ...body, requestId })
  }
  return JSON.stringify({ command, result: 'success', ...(requestId !== undefined && { requestId }), ...body })
}
