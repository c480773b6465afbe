import type { MessageTypeName } from '../protocol/wire-types.js'
import type { PushNotification, PushSender, PushTarget } from './types.js'

/** What a push about a message is made of (read again when it is sent). */
export interface MessageFacts {
  roomId: string
  messageId: string
  messageType: MessageTypeName
  content: string | null
  senderName: string
  roomTitle: string | null
}

const LABELS = {
  vi: { IMAGE: '[Hình ảnh]', VIDEO: '[Video]', FILE: '[Tệp]' },
  en: { IMAGE: '[Photo]', VIDEO: '[Video]', FILE: '[File]' }
} as const

/** Vietnamese unless the device registered an English locale ("en", "en-US", ...). */
export const languageOf = (locale: string | null): keyof typeof LABELS => locale !== null && /^en(?:[-_]|$)/i.test(locale) ? 'en' : 'vi'

/** The preview of a message: its text, or the label of its media with the caption after it. */
export function previewOf (facts: MessageFacts, locale: string | null): string {
  const content = facts.content?.trim() ?? ''
  if (facts.messageType === 'TEXT') return content
  const label = LABELS[languageOf(locale)][facts.messageType]
  return content === '' ? label : `${label} ${content}`
}

/** The longest start of `text` that is at most `bytes` long in UTF-8, never splitting a character. */
export function cutUtf8 (text: string, bytes: number): string {
  const encoded = Buffer.from(text, 'utf8')
  if (encoded.length <= bytes) return text
  let end = Math.max(0, bytes)
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (encoded[end]! & 0xc0) === 0x80) end--
  return encoded.subarray(0, end).toString('utf8')
}

const ELLIPSIS = '…'

/**
 * The visible push for one device: the room's title (or the sender's name) as title, and "sender: preview"
 * as body, the preview cut by UTF-8 bytes until the whole payload fits the provider's limit.
 */
export function messageNotification (facts: MessageFacts, target: PushTarget, sender: PushSender, badge: number, ttlSeconds: number): PushNotification {
  const preview = previewOf(facts, target.locale)
  const prefix = facts.roomTitle !== null ? `${facts.senderName}: ` : ''
  const base = { kind: 'message' as const, roomId: facts.roomId, messageId: facts.messageId, badge, ttlSeconds, title: facts.roomTitle ?? facts.senderName }
  const full: PushNotification = { ...base, body: prefix + preview }
  let excess = sender.payloadSize(target, full) - sender.maxPayloadBytes
  if (excess <= 0) return full
  // JSON escapes can make a character cost more than its UTF-8 bytes: cut again until it fits.
  let budget = Buffer.byteLength(preview) - excess - Buffer.byteLength(ELLIPSIS)
  for (;;) {
    const candidate: PushNotification = { ...base, body: prefix + cutUtf8(preview, budget).trimEnd() + ELLIPSIS }
    excess = sender.payloadSize(target, candidate) - sender.maxPayloadBytes
    if (excess <= 0 || budget <= 0) return candidate
    budget -= excess
  }
}

/** The silent push that makes a user's other devices drop a room's notification. */
export const clearNotification = (roomId: string, messageId: string, badge: number, ttlSeconds: number): PushNotification =>
  ({ kind: 'clear', roomId, messageId, badge, ttlSeconds })
