import type { FieldError } from '../protocol/errors.js'

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

/**
 * Problems with a piece of user text that PostgreSQL could not store faithfully: U+0000 cannot be held in
 * `text`, and a lone surrogate would be silently replaced by U+FFFD. Both are refused, never altered.
 */
export function textProblem (text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain U+0000'
  if (!text.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)'
  return undefined
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

/** `media` is an https URL (http outside production) or a path the upload endpoint handed out. */
export function mediaProblem (media: string, production: boolean): string | undefined {
  if (media.length > MAX_MEDIA_URL_CHARS) return `must be at most ${MAX_MEDIA_URL_CHARS} characters`
  const problem = textProblem(media)
  if (problem !== undefined) return problem
  if (media.startsWith('/media/') && media.length > '/media/'.length && !media.includes('..')) return undefined
  let url: URL
  try {
    url = new URL(media)
  } catch {
    return 'must be an https URL or a /media/ path'
  }
  if (url.protocol === 'https:' || (!production && url.protocol === 'http:')) return undefined
  return production ? 'must be an https URL or a /media/ path' : 'must be an http(s) URL or a /media/ path'
}
