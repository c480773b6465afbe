import type { Readable } from 'node:stream'

/** Inclusive byte positions, as in an HTTP Range header. */
export interface ByteRange {
  start: number
  end: number
}

/** How a client should be told to treat what it downloads. */
export interface DownloadHeaders {
  contentType: string
  /** A full Content-Disposition value (`attachment; filename=…`), or undefined for inline. */
  contentDisposition?: string
}

/** A form a client posts the file to directly (an S3 presigned POST). */
export interface UploadForm {
  url: string
  fields: Record<string, string>
}

/**
 * Where attachment bytes live (docs/uploads.md): a directory on this node, or an S3-compatible bucket.
 * Keys are made by the server only. Chosen once in ./choose.ts; nothing else knows which one runs.
 */
export interface ObjectStorage {
  readonly kind: 'disk' | 's3'
  /** Stores the finished local file at `path` under `key`; the local file may be moved or removed. */
  putFile: (key: string, path: string, contentType: string) => Promise<void>
  /** The object's bytes (or a range of them); undefined when there is no such object. */
  read: (key: string, range?: ByteRange) => Promise<Readable | undefined>
  /** The object's size in bytes; undefined when there is no such object. */
  size: (key: string) => Promise<number | undefined>
  /** Removes the objects; keys that do not exist are no error. */
  remove: (keys: string[]) => Promise<void>
  /**
   * A short-lived URL the client fetches the bytes from itself (a presigned GET), or undefined when this
   * node serves them.
   */
  downloadUrl: (key: string, headers: DownloadHeaders, ttlS: number) => Promise<string | undefined>
  /**
   * A short-lived form for uploading straight to the storage, at most `maxBytes`; undefined when the
   * storage takes no direct uploads (disk).
   */
  uploadForm: (key: string, maxBytes: number, ttlS: number) => Promise<UploadForm | undefined>
  close: () => Promise<void>
}
