/** Reading what a socket received, before anything knows which command it is. */

export type RawData = Buffer | ArrayBuffer | Buffer[]

/** What a frame holds once read: the parsed JSON, or `NOT_JSON` for binary frames and text that does not parse. */
export const NOT_JSON = Symbol('not JSON')

export function readFrame (data: RawData, isBinary: boolean): unknown {
  if (isBinary) return NOT_JSON
  try {
    return JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'))
  } catch {
    return NOT_JSON
  }
}

/** The `command` a read frame names, if it names one. */
export const commandOf = (frame: unknown): string | undefined => {
  const name = typeof frame === 'object' && frame !== null ? (frame as { command?: unknown }).command : undefined
  return typeof name === 'string' ? name : undefined
}
