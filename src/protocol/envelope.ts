import { Type, type TProperties } from '@sinclair/typebox'

/** An id in a request: a JSON integer or a string of digits (ids leave the server as strings). */
export const Id = Type.Union([
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  Type.String({ pattern: '^[0-9]{1,18}$' })
], { description: 'integer or string of digits' })

export const RequestId = Type.String({ minLength: 1, maxLength: 64 })

/** The schema of one command's request: its name, the optional requestId, and its own fields. */
export const commandSchema = <P extends TProperties>(properties: P) => Type.Object({
  command: Type.String(),
  requestId: Type.Optional(RequestId),
  ...properties
})

export const idString = (id: number | string): string => typeof id === 'number' ? String(id) : String(BigInt(id))

/** ISO 8601 UTC with milliseconds, as every timestamp goes out. */
export const isoTime = (date: Date): string => date.toISOString()
