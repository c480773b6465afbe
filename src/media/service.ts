import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../db/client.js'
import type { AttachmentRow, StoredThumbnail } from '../db/schema.js'
import { collectable, createAttachment, findAttachment, forgetAttachment, markReady } from '../chat/attachments.js'
import { CommandFailure } from '../protocol/errors.js'
import type { ObjectStorage, UploadForm } from '../storage/types.js'
import { processImage } from './images.js'
import { ALLOWED_TYPES, contradicts, uploadConfig, type UploadConfig, type UploadLimits } from './kinds.js'
import { notAllowed, receiveFile, tooLarge, UploadRefused, type ReceivedFile } from './intake.js'

/** What the client said about its file: used for Content-Disposition and to catch a disguise, never to type it. */
export interface Declared {
  mimeType?: string | undefined
  fileName?: string | undefined
}

export interface AttachmentServiceOptions {
  db: Db
  storage: ObjectStorage
  limits: UploadLimits
  /** Local directory incoming files are written to while they are checked. */
  incomingDir: string
  /** Lifetime of a direct upload's form, in seconds. */
  directUploadTtlS: number
  log: FastifyBaseLogger
}

/** Rows looked at per garbage collection round. */
const GC_BATCH = 100

/** A file name as it may appear in a header and a message: its last path segment, no control characters. */
export function cleanFileName (name: string | undefined): string | null {
  // eslint-disable-next-line no-control-regex -- control characters have no place in a header
  const base = name?.split(/[\\/]/).at(-1)?.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255)
  return base === undefined || base === '' ? null : base
}

/** The storage keys of an attachment: its file and its derived images. */
export const storageKeys = (row: Pick<AttachmentRow, 'storageKey' | 'thumbnails'>): string[] =>
  [row.storageKey, ...row.thumbnails.map((thumbnail) => thumbnail.key)]

/**
 * Uploads from receipt to removal (docs/uploads.md): checks a file as it streams in, cleans an image
 * and derives its thumbnails, stores the bytes, records the attachment, and removes the bytes of
 * attachments never sent or whose message was deleted.
 */
export class AttachmentService {
  readonly storage: ObjectStorage
  readonly limits: UploadLimits
  /** What clients read before uploading (GET /uploads/config, the login answer). */
  readonly clientConfig: UploadConfig
  private readonly db: Db
  private readonly incomingDir: string
  private readonly directUploadTtlS: number
  private readonly log: FastifyBaseLogger

  constructor (options: AttachmentServiceOptions) {
    this.db = options.db
    this.storage = options.storage
    this.limits = options.limits
    this.clientConfig = uploadConfig(options.limits)
    this.incomingDir = options.incomingDir
    this.directUploadTtlS = options.directUploadTtlS
    this.log = options.log
  }

  /** A new storage key: random, so that keys say nothing about users or rooms. */
  newKey (): string {
    const id = randomBytes(16).toString('hex')
    return `objects/${id.slice(0, 2)}/${id}`
  }

  /** Receives, checks and stores one upload of `ownerId`; refusals are UploadRefused. */
  async upload (ownerId: string, source: Readable, declared: Declared): Promise<AttachmentRow> {
    const received = await receiveFile(source, this.incomingDir, this.limits)
    const key = this.newKey()
    try {
      if (contradicts(received.mimeType, declared)) throw notAllowed(received.mimeType, `the content is ${received.mimeType}, which its name or declared type contradicts`)
      const facts = await this.storeChecked(received, key)
      return await this.recorded(storageKeys(facts), () => createAttachment(this.db, {
        ownerId,
        kind: received.kind,
        fileName: cleanFileName(declared.fileName),
        ...facts
      }))
    } finally {
      await rm(received.path, { force: true })
    }
  }

  /**
   * Starts a direct upload: a pending attachment of the declared type and a form that posts the file
   * straight to the bucket, at most the kind's limit. Usable only after `complete`.
   */
  async startDirect (ownerId: string, declared: Declared & { size?: number | undefined }): Promise<{ row: AttachmentRow, form: UploadForm }> {
    const mimeType = declared.mimeType ?? ''
    const kind = ALLOWED_TYPES[mimeType]
    if (kind === undefined) throw notAllowed(mimeType, `${mimeType || 'a file without a type'} is not an allowed type`)
    if (declared.size !== undefined && declared.size > this.limits[kind]) throw tooLarge(kind, this.limits)
    const key = this.newKey()
    const form = await this.storage.uploadForm(key, this.limits[kind], this.directUploadTtlS)
    if (form === undefined) throw new CommandFailure('DIRECT_UPLOADS_OFF')
    const row = await createAttachment(this.db, { ownerId, kind, state: 'pending', mimeType, size: 0, storageKey: key, fileName: cleanFileName(declared.fileName) })
    return { row, form }
  }

  /**
   * Completes a direct upload of `ownerId`: reads the object back and checks it as an upload through
   * this node is checked (type from the bytes, the kind's limit; an image cleaned and given its
   * thumbnails). A refused file is removed with its attachment. Completing twice answers the same.
   */
  async complete (ownerId: string, attachmentId: string): Promise<AttachmentRow> {
    const row = /^[0-9]{1,18}$/.test(attachmentId) ? await findAttachment(this.db, attachmentId) : undefined
    if (row === undefined || row.ownerId !== ownerId) throw new CommandFailure('ATTACHMENT_NOT_FOUND')
    if (row.state === 'ready') return row
    const source = await this.storage.read(row.storageKey)
    if (source === undefined) throw new CommandFailure('INVALID_FORMAT', [{ path: '/file', message: 'is not in the bucket: post it to the upload form first' }])
    let received: ReceivedFile | undefined
    try {
      received = await receiveFile(source, this.incomingDir, this.limits)
      if (contradicts(received.mimeType, { mimeType: row.mimeType })) throw notAllowed(received.mimeType, `the content is ${received.mimeType}, not ${row.mimeType}`)
      // Only an image is written again (cleaned, with thumbnails); other files stay as the client put them.
      const facts = received.kind === 'IMAGE'
        ? await this.storeChecked(received, row.storageKey)
        : { mimeType: received.mimeType, size: received.size, sha256: received.sha256, width: null, height: null, thumbnails: [] }
      const ready = await markReady(this.db, row.id, { ...facts, kind: received.kind })
      if (ready === undefined) throw new CommandFailure('ATTACHMENT_NOT_FOUND')
      return ready
    } catch (error) {
      if (error instanceof UploadRefused) await this.purge([row], true)
      throw error
    } finally {
      if (received !== undefined) await rm(received.path, { force: true })
    }
  }

  /**
   * Stores a received file under `key` (an image cleaned, with its thumbnails under keys of their own)
   * and answers what the attachment row records of it.
   */
  async storeChecked (received: ReceivedFile, key: string): Promise<Pick<AttachmentRow, 'mimeType' | 'size' | 'sha256' | 'width' | 'height' | 'storageKey' | 'thumbnails'>> {
    const image = received.kind === 'IMAGE' ? await this.cleanImage(received) : undefined
    const leftovers = [image?.path, ...(image?.thumbnails.map((thumbnail) => thumbnail.path) ?? [])].filter((path) => path !== undefined && path !== received.path)
    try {
      const thumbnails: StoredThumbnail[] = []
      for (const thumbnail of image?.thumbnails ?? []) {
        const thumbKey = `${key}.${thumbnail.name}`
        await this.storage.putFile(thumbKey, thumbnail.path, 'image/jpeg')
        thumbnails.push({ name: thumbnail.name, key: thumbKey, width: thumbnail.width, height: thumbnail.height, size: thumbnail.size, mimeType: 'image/jpeg' })
      }
      await this.storage.putFile(key, image?.path ?? received.path, received.mimeType)
      return {
        mimeType: received.mimeType,
        size: image?.size ?? received.size,
        sha256: image?.sha256 ?? received.sha256,
        width: image?.width ?? null,
        height: image?.height ?? null,
        storageKey: key,
        thumbnails
      }
    } finally {
      await Promise.all(leftovers.map((path) => rm(path!, { force: true })))
    }
  }

  private async cleanImage (received: ReceivedFile) {
    try {
      const image = await processImage(received.path, received.mimeType)
      if (image.thumbnails.length === 0) this.log.info({ mimeType: received.mimeType }, 'image kept without preview: this build cannot decode it')
      return image
    } catch (error) {
      this.log.info({ err: error, mimeType: received.mimeType }, 'upload refused: image does not decode')
      throw notAllowed(received.mimeType, `the content does not decode as ${received.mimeType}`)
    }
  }

  /** Writes the row; if that fails, the bytes just stored are removed again. */
  async recorded<T> (keys: string[], write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (error) {
      await this.storage.remove(keys).catch(() => {})
      throw error
    }
  }

  /**
   * Removes the bytes of these attachments, then their rows; a failure leaves the row for the next round.
   * `pending` also removes a direct upload's row that is not marked deleted.
   */
  async purge (rows: AttachmentRow[], pending = false): Promise<number> {
    let removed = 0
    for (const row of rows) {
      try {
        await this.storage.remove(storageKeys(row).filter((key) => key !== ''))
        if (await forgetAttachment(this.db, row, pending)) removed++
      } catch (error) {
        this.log.warn({ err: error, attachmentId: row.id }, 'attachment bytes not removed; retried by the next collection')
      }
    }
    return removed
  }

  /** One garbage collection round: uploads older than `orphanTtlMs` never sent, and those of deleted messages. */
  async collectGarbage (orphanTtlMs: number, now = Date.now()): Promise<number> {
    let total = 0
    for (;;) {
      const rows = await collectable(this.db, new Date(now - orphanTtlMs), GC_BATCH)
      const removed = await this.purge(rows)
      total += removed
      if (rows.length < GC_BATCH || removed === 0) break
    }
    if (total > 0) this.log.info({ removed: total }, 'attachments collected')
    return total
  }
}
