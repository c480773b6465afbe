import type { FieldError } from '../protocol/errors.js'
import { textProblem } from '../protocol/text.js'

export const MAX_MEDIA_URL_CHARS = 2048

/**
 * Length in Unicode code points, the one way characters are counted everywhere (an emoji is one
 * character, not two UTF-16 units).
 */
export function codePointLength (text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
  return count
}

/** Checks user-written text against the character limit and storability; pushes what is wrong. */
export function checkText (path: string, text: string, maxChars: number, errors: FieldError[]): void {
  const problem = textProblem(text)
  if (problem !== undefined) errors.push({ path, message: problem })
  else if (text.length > maxChars && codePointLength(text) > maxChars) {
    errors.push({ path, message: `must be at most ${maxChars} characters` })
  }
}

/** The text of a TEXT message (new or edited): not blank after trimming, then `checkText`. */
export function checkMessageText (path: string, text: string, maxChars: number, errors: FieldError[]): void {
  if (text.trim() === '') errors.push({ path, message: 'must not be empty' })
  else checkText(path, text, maxChars, errors)
}

const PATH_NOT_AN_ATTACHMENT = 'must be /media/<attachmentId> of one of your uploads, or an https URL'

/** Where the server's own files are served; `media` may name one by path. */
const MEDIA_PREFIX = '/media/'
/** A base no real URL has, to resolve relative paths against exactly as a browser would. */
const RESOLVE_BASE = 'https://media-path.invalid'

/**
 * A `/media/` path is checked as a browser (and then a file server) would resolve it: percent-decoded
 * and normalized. `%2e%2e`, `.%2E`, backslashes and `//host` all resolve somewhere else, so the path
 * must already be in normal form (resolving it changes nothing), stay under /media/, and have no
 * segment that decodes to a dot segment, a separator, a NUL or another escape (double encoding).
 */
export function mediaPathProblem (path: string): string | undefined {
  const refused = 'must be a /media/ path in normal form (no dot segments, encoded separators or backslashes)'
  let resolved: URL
  try {
    resolved = new URL(path, RESOLVE_BASE)
  } catch {
    return refused
  }
  const rawPath = path.split(/[?#]/, 1)[0] ?? ''
  if (resolved.origin !== RESOLVE_BASE || resolved.pathname !== rawPath || !rawPath.startsWith(MEDIA_PREFIX)) return refused
  for (const segment of rawPath.slice(MEDIA_PREFIX.length).split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      return refused
    }
    if (decoded === '' || decoded === '.' || decoded === '..' || /[/\\%]/.test(decoded) || decoded.includes('\u0000')) return refused
  }
  return undefined
}

/** The attachment a `media` of `/media/<attachmentId>` (or one of its signed links) names. */
export function attachmentOfPath (media: string | null): string | undefined {
  return media === null ? undefined : /^\/media\/([0-9]{1,18})(?:\?[^#]*)?$/.exec(media)?.[1]
}

/**
 * `media` is an https URL (http outside production), from one of `origins` when given. A path on this
 * server is refused here unless it names an attachment (see attachmentOfPath): javascript:, data:,
 * file: and the like never pass.
 */
export function mediaProblem (media: string, production: boolean, origins?: Set<string>): string | undefined {
  if (media.length > MAX_MEDIA_URL_CHARS) return `must be at most ${MAX_MEDIA_URL_CHARS} characters`
  const problem = textProblem(media)
  if (problem !== undefined) return problem
  // A browser resolves a leading backslash like a slash: either is a path on this server.
  if (media.startsWith('/') || media.startsWith('\\')) return mediaPathProblem(media) ?? (attachmentOfPath(media) === undefined ? PATH_NOT_AN_ATTACHMENT : undefined)
  let url: URL
  try {
    url = new URL(media)
  } catch {
    return 'must be an https URL or a /media/ path'
  }
  if (url.protocol === 'https:' || (!production && url.protocol === 'http:')) {
    return origins === undefined || origins.has(url.origin) ? undefined : `must come from one of MEDIA_ALLOWED_ORIGINS (${[...origins].join(', ')})`
  }
  return production ? 'must be an https URL or a /media/ path' : 'must be an http(s) URL or a /media/ path'
}
