import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileTypeFromBuffer } from 'file-type'
import { ALLOWED_TYPES, LIMIT_SETTINGS, type AttachmentKind, type UploadLimits } from './kinds.js'

/** Why an upload was refused, with what the answer tells the client. */
export class UploadRefused extends Error {
  override name = 'UploadRefused'
  constructor (
    readonly code: 'FILE_TOO_LARGE' | 'UNSUPPORTED_TYPE',
    readonly details: Record<string, string | number>
  ) {
    super(code)
  }
}

export const tooLarge = (kind: AttachmentKind, limits: UploadLimits) =>
  new UploadRefused('FILE_TOO_LARGE', { kind, limit: LIMIT_SETTINGS[kind], maxBytes: limits[kind] })

export const notAllowed = (detected: string | undefined, message: string) =>
  new UploadRefused('UNSUPPORTED_TYPE', { ...(detected !== undefined && { detected }), message })

/** A file received to a local path, its type read from its bytes. */
export interface ReceivedFile {
  path: string
  size: number
  sha256: string
  mimeType: string
  kind: AttachmentKind
}

/** Enough of the start of a file for every signature file-type knows (its own sample size). */
const SNIFF_BYTES = 4100

/**
 * The type of a file from its first bytes. Text has no signature: a head that decodes as UTF-8 without
 * control characters is taken for text/plain, and the rest of the file is held to that as it arrives.
 */
export async function sniff (head: Buffer, complete: boolean): Promise<string | undefined> {
  const found = await fileTypeFromBuffer(head)
  if (found !== undefined) return found.mime
  return looksLikeText(head, complete) ? 'text/plain' : undefined
}

// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/

function looksLikeText (bytes: Buffer, complete: boolean): boolean {
  if (bytes.length === 0) return false
  try {
    // A multi-byte character may be cut at the end of the head: `stream` leaves it pending.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete })
    return !CONTROL.test(text)
  } catch {
    return false
  }
}

/**
 * Checks a file as it streams through: holds its first bytes until its type is known, then passes
 * everything on, failing as soon as the file is over its kind's limit or (text) stops being text. It
 * never holds more than the first few kilobytes.
 */
class Inspector extends Transform {
  mimeType: string | undefined
  kind: AttachmentKind | undefined
  size = 0
  private head: Buffer[] = []
  private headBytes = 0
  private text: InstanceType<typeof TextDecoder> | undefined

  constructor (private readonly limits: UploadLimits) {
    super()
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length
    if (this.kind === undefined) {
      this.head.push(chunk)
      this.headBytes += chunk.length
      if (this.headBytes < SNIFF_BYTES) return callback()
      this.decide(false).then(() => callback(), callback)
      return
    }
    callback(this.check(chunk), chunk)
  }

  override _flush (callback: TransformCallback): void {
    if (this.kind !== undefined) return callback(this.text === undefined ? undefined : this.endText())
    this.decide(true).then(() => callback(), callback)
  }

  private async decide (complete: boolean): Promise<void> {
    const head = Buffer.concat(this.head)
    this.head = []
    const mimeType = await sniff(head, complete)
    const kind = mimeType === undefined ? undefined : ALLOWED_TYPES[mimeType]
    if (kind === undefined) throw notAllowed(mimeType, mimeType === undefined ? 'the file type could not be recognised from its content' : `${mimeType} is not an allowed type`)
    this.mimeType = mimeType
    this.kind = kind
    if (mimeType === 'text/plain') this.text = new TextDecoder('utf-8', { fatal: true })
    const problem = this.check(head)
    if (problem !== undefined) throw problem
    this.push(head)
  }

  private check (chunk: Buffer): Error | undefined {
    if (this.size > this.limits[this.kind!]) return tooLarge(this.kind!, this.limits)
    if (this.text === undefined) return undefined
    try {
      if (CONTROL.test(this.text.decode(chunk, { stream: true }))) throw new Error('control character')
    } catch {
      return notAllowed('application/octet-stream', 'the file is not plain UTF-8 text')
    }
    return undefined
  }

  private endText (): Error | undefined {
    try {
      this.text!.decode()
      return undefined
    } catch {
      return notAllowed('application/octet-stream', 'the file is not plain UTF-8 text')
    }
  }
}

/**
 * Streams `source` into a new file under `dir`, checking its type and size on the way. On any failure
 * (a refusal, an aborted request) the partial file is removed before the error is passed on: nothing is
 * left behind.
 */
export async function receiveFile (source: Readable, dir: string, limits: UploadLimits): Promise<ReceivedFile> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, randomUUID())
  const inspector = new Inspector(limits)
  const hash = createHash('sha256')
  const hashing = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      callback(null, chunk)
    }
  })
  try {
    await pipeline(source, inspector, hashing, createWriteStream(path))
  } catch (error) {
    await rm(path, { force: true })
    throw error
  }
  return { path, size: inspector.size, sha256: hash.digest('hex'), mimeType: inspector.mimeType!, kind: inspector.kind! }
}
