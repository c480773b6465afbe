import { createHmac, timingSafeEqual } from 'node:crypto'

/** What of an attachment a link points at: the file itself, its small thumbnail, or its larger preview. */
export type MediaVariant = 'original' | 'thumb' | 'preview'

export const MEDIA_VARIANTS: readonly MediaVariant[] = ['original', 'thumb', 'preview']

/** The path of an attachment's variant on this server: /media/12, /media/12/thumb, /media/12/preview. */
export const mediaPath = (attachmentId: string, variant: MediaVariant): string =>
  variant === 'original' ? `/media/${attachmentId}` : `/media/${attachmentId}/${variant}`

/**
 * Expiries are rounded up to this step, so that every frame sent within it carries the same URL for the
 * same file and a client's HTTP cache serves it once.
 */
const EXPIRY_STEP_S = 60

/**
 * Short-lived links to attachments, signed with HMAC-SHA256: `/media/12?expires=1733000000&signature=…`.
 * Anyone holding a link may fetch the file until it expires, as with any signed URL; membership is
 * checked when the server puts a link in a frame or an answer (docs/uploads.md).
 */
export class MediaLinks {
  constructor (private readonly secret: Buffer, private readonly ttlS: number) {}

  /** A link valid for at least the configured lifetime from `now`. */
  link (attachmentId: string, variant: MediaVariant, now = Date.now()): string {
    const expires = Math.ceil((now / 1000 + this.ttlS) / EXPIRY_STEP_S) * EXPIRY_STEP_S
    return `${mediaPath(attachmentId, variant)}?expires=${expires}&signature=${this.signature(attachmentId, variant, expires)}`
  }

  /** True when `signature` was made by this server for this variant and `expires` has not passed. */
  verify (attachmentId: string, variant: MediaVariant, expires: string | undefined, signature: string | undefined, now = Date.now()): boolean {
    if (expires === undefined || signature === undefined || !/^[0-9]{1,12}$/.test(expires)) return false
    if (Number(expires) * 1000 < now) return false
    const expected = Buffer.from(this.signature(attachmentId, variant, Number(expires)))
    const given = Buffer.from(signature)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  private signature (attachmentId: string, variant: MediaVariant, expires: number): string {
    return createHmac('sha256', this.secret).update(`${mediaPath(attachmentId, variant)}\n${expires}`).digest('base64url')
  }
}
