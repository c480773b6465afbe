import { Failures, type FailureCode, type FieldError } from './errors.js'
import { buildFrame, Failure, type FrameDefinition, type FrameFields } from './events.js'

/** A direct answer to a command that failed: `{command?, result: "failed", reason, code, requestId?, errors?, errorId?}`. */
export function failureFrame (
  command: string | undefined,
  code: FailureCode,
  requestId: string | undefined,
  extra: { errors?: FieldError[] | undefined, errorId?: string | undefined } = {}
): string {
  return buildFrame(Failure, {
    ...(command !== undefined && { command }),
    reason: Failures[code],
    code,
    ...(extra.errors !== undefined && { errors: extra.errors }),
    ...(extra.errorId !== undefined && { errorId: extra.errorId })
  }, requestId)
}

/** A direct answer to a command that succeeded, from the command's entry in the event table. */
export const successFrame = <D extends FrameDefinition>(definition: D, requestId: string | undefined, body: FrameFields<D>): string =>
  buildFrame(definition, body, requestId)

/** The body of an HTTP error: the same `result`, `reason` and `code` as the socket's failures, and what else applies. */
export function failureBody (code: FailureCode, extra: { errors?: FieldError[] | undefined, [key: string]: unknown } = {}): Record<string, unknown> {
  const { errors, ...details } = extra
  return { result: 'failed', reason: Failures[code], code, ...details, ...(errors !== undefined && { errors }) }
}
