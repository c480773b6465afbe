import { Type, type TProperties } from '@sinclair/typebox'

// A schema that a client can get wrong says how to get it right in `errorMessage`; the dispatcher lists
// that text in the answer's `errors` in place of the validator's own ("Expected union value").

/** An id in a request: a JSON integer or a string of digits (ids leave the server as strings). */
export const Id = Type.Union([
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  Type.String({ pattern: '^[0-9]{1,18}$' })
], { description: 'integer or string of digits', errorMessage: 'must be an integer id or a string of digits' })

/** What a union of words says when the value is none of them. */
export const oneOfMessage = (values: readonly string[]) => `must be one of ${values.join(', ')}`

/** A string that may be null (or left out, wrapped in Type.Optional). */
export const StringOrNull = (options: { maxLength?: number } = {}) =>
  Type.Union([Type.String(options), Type.Null()], { errorMessage: options.maxLength === undefined ? 'must be a string or null' : `must be a string of at most ${options.maxLength} characters, or null` })

/** A client's own label (requestId, clientMessageId): echoed back, never interpreted. */
export const Label = () => Type.String({ minLength: 1, maxLength: 64, errorMessage: 'must be a string of 1 to 64 characters' })

export const RequestId = Label()

/** The schema of one command's request: its name, the optional requestId, and its own fields. */
export const commandSchema = <P extends TProperties>(properties: P) => Type.Object({
  command: Type.String(),
  requestId: Type.Optional(RequestId),
  ...properties
})

export const idString = (id: number | string): string => typeof id === 'number' ? String(id) : String(BigInt(id))

/** ISO 8601 UTC with milliseconds, as every timestamp goes out. */
export const isoTime = (date: Date): string => date.toISOString()
