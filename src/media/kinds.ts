import type { Config } from '../config.js'
import type { UploadConfigShape } from '../protocol/wire-types.js'

export type AttachmentKind = 'IMAGE' | 'VIDEO' | 'FILE'

/** The types an upload may have, by what its bytes are (never by its name), with their kind. */
export const ALLOWED_TYPES: Record<string, AttachmentKind> = {
  'image/jpeg': 'IMAGE',
  'image/png': 'IMAGE',
  'image/webp': 'IMAGE',
  'image/gif': 'IMAGE',
  'image/heic': 'IMAGE',
  'image/heif': 'IMAGE',
  'video/mp4': 'VIDEO',
  'video/quicktime': 'VIDEO',
  'video/webm': 'VIDEO',
  'application/pdf': 'FILE',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'FILE',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'FILE',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'FILE',
  'application/zip': 'FILE',
  'text/plain': 'FILE'
}

/** What a file name's extension claims; a name that claims another allowed type than the bytes is refused. */
const EXTENSION_TYPES: Record<string, string[]> = {
  jpg: ['image/jpeg'],
  jpeg: ['image/jpeg'],
  png: ['image/png'],
  webp: ['image/webp'],
  gif: ['image/gif'],
  heic: ['image/heic', 'image/heif'],
  heif: ['image/heic', 'image/heif'],
  mp4: ['video/mp4'],
  m4v: ['video/mp4'],
  mov: ['video/quicktime', 'video/mp4'],
  webm: ['video/webm'],
  pdf: ['application/pdf'],
  docx: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  xlsx: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  pptx: ['application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  zip: ['application/zip'],
  txt: ['text/plain']
}

/** The setting that bounds each kind, named in a 413 answer. */
export const LIMIT_SETTINGS = {
  IMAGE: 'UPLOAD_MAX_IMAGE_BYTES',
  VIDEO: 'UPLOAD_MAX_VIDEO_BYTES',
  FILE: 'UPLOAD_MAX_FILE_BYTES'
} as const satisfies Record<AttachmentKind, keyof Config>

export type UploadLimits = Record<AttachmentKind, number>

export const uploadLimits = (config: Pick<Config, typeof LIMIT_SETTINGS[AttachmentKind]>): UploadLimits => ({
  IMAGE: config.UPLOAD_MAX_IMAGE_BYTES,
  VIDEO: config.UPLOAD_MAX_VIDEO_BYTES,
  FILE: config.UPLOAD_MAX_FILE_BYTES
})

/** The limits as clients read them (GET /uploads/config and the login answer). */
export function uploadConfig (limits: UploadLimits): UploadConfigShape {
  const types = (kind: AttachmentKind) => Object.keys(ALLOWED_TYPES).filter((type) => ALLOWED_TYPES[type] === kind)
  return {
    maxBytes: { IMAGE: limits.IMAGE, VIDEO: limits.VIDEO, FILE: limits.FILE },
    types: { IMAGE: types('IMAGE'), VIDEO: types('VIDEO'), FILE: types('FILE') }
  }
}
export type UploadConfig = UploadConfigShape

/**
 * Whether what the client said about the file (its part's Content-Type, its name's extension) contradicts
 * its bytes. A generic type (application/octet-stream) or an unknown extension says nothing.
 */
export function contradicts (detected: string, declared: { mimeType?: string | undefined, fileName?: string | undefined }): boolean {
  const extension = /\.([a-z0-9]{1,8})$/i.exec(declared.fileName ?? '')?.[1]?.toLowerCase()
  const claimed = extension === undefined ? undefined : EXTENSION_TYPES[extension]
  if (claimed !== undefined && !claimed.includes(detected)) return true
  const type = declared.mimeType?.split(';', 1)[0]?.trim().toLowerCase()
  if (type === undefined || type === '' || type === 'application/octet-stream') return false
  const family = (mime: string) => ALLOWED_TYPES[mime] ?? mime.split('/', 1)[0]
  return ALLOWED_TYPES[type] !== undefined ? family(type) !== family(detected) : false
}
