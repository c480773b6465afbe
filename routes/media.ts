import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { findAttachment, mayFetch } from '../src/chat/attachments.js'
import type { MediaVariant } from '../src/chat/media-links.js'
import type { AttachmentRow } from '../src/db/schema.js'
import { CommandFailure } from '../src/protocol/errors.js'
import type { ByteRange } from '../src/storage/types.js'
import { bearerToken, bearerUser, Failure, sendFailure } from './http-failures.js'

const Params = Type.Object({ attachmentId: Type.String() })
const Query = Type.Object({ expires: Type.Optional(Type.String()), signature: Type.Optional(Type.String()) })
type MediaRequest = FastifyRequest<{ Params: { attachmentId: string }, Querystring: { expires?: string, signature?: string } }>

/** One variant of an attachment as it is served: where its bytes are and how they are described. */
interface Served {
  key: string
  size: number
  contentType: string
  etag: string
  disposition: string | undefined
}

/** Content-Disposition of a document: always a download, never shown in the page (a PDF with scripts, an HTML disguise). */
function attachmentDisposition (fileName: string | null): string {
  if (fileName === null) return 'attachment'
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
}

function served (row: AttachmentRow, variant: MediaVariant): Served | undefined {
  if (variant === 'original') {
    return {
      key: row.storageKey,
      size: Number(row.size),
      contentType: row.mimeType,
      etag: `"${row.sha256 ?? row.storageKey.split('/').at(-1)}"`,
      disposition: row.kind === 'FILE' ? attachmentDisposition(row.fileName) : undefined
    }
  }
  const thumbnail = row.thumbnails.find((candidate) => candidate.name === variant)
  if (thumbnail === undefined) return undefined
  return { key: thumbnail.key, size: thumbnail.size, contentType: thumbnail.mimeType, etag: `"${row.sha256 ?? row.id}-${variant}"`, disposition: undefined }
}

/**
 * The single range of a `Range: bytes=…` header, clipped to the size; undefined for the whole file
 * (no header, several ranges, an If-Range that no longer matches); 'unsatisfiable' for 416.
 */
export function requestedRange (header: string | undefined, size: number, ifRange: string | undefined, etag: string): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined || (ifRange !== undefined && ifRange !== etag)) return undefined
  const match = /^bytes=([0-9]*)-([0-9]*)$/.exec(header.trim())
  if (match === null || (match[1] === '' && match[2] === '')) return undefined
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  if (start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}

/** GET /media/:attachmentId (/thumb, /preview): to current members of the room it was sent to, or its uploader before. */
export default async function mediaRoutes (app: FastifyInstance) {
  const { attachments, mediaLinks, config } = app

  /** The attachment when the request may have it: a valid signed link, or a bearer token of a member. */
  async function authorized (request: MediaRequest, variant: MediaVariant): Promise<AttachmentRow | undefined> {
    const { attachmentId } = request.params
    if (!/^[0-9]{1,18}$/.test(attachmentId)) return undefined
    const { expires, signature } = request.query
    if (signature !== undefined || bearerToken(request) === undefined) {
      if (!mediaLinks.verify(attachmentId, variant, expires, signature)) {
        // A link this server signed that has only expired says so: the client fetches a fresh frame.
        if (signature !== undefined && mediaLinks.verify(attachmentId, variant, expires, signature, 0)) throw new CommandFailure('TOKEN_EXPIRED')
        if (signature === undefined) throw new CommandFailure('INVALID_TOKEN')
        return undefined
      }
      return findAttachment(app.db, attachmentId)
    }
    const userId = await bearerUser(app, request)
    const row = await findAttachment(app.db, attachmentId)
    return row !== undefined && await mayFetch(app.db, row, userId) ? row : undefined
  }

  async function serve (request: MediaRequest, reply: FastifyReply, variant: MediaVariant) {
    let row: AttachmentRow | undefined
    try {
      row = await authorized(request, variant)
    } catch (error) {
      if (error instanceof CommandFailure) return sendFailure(reply, error.code)
      throw error
    }
    const item = row === undefined || row.state !== 'ready' ? undefined : served(row, variant)
    if (item === undefined) return sendFailure(reply, 'ATTACHMENT_NOT_FOUND')
    // Private content: browsers may keep it for the life of a link, shared caches never.
    reply.header('cache-control', `private, max-age=${config.MEDIA_URL_TTL_S}`)
    // The same URL answers differently by who asks when the bearer token decides.
    reply.header('vary', 'Authorization')
    reply.header('x-content-type-options', 'nosniff')
    // Should a file ever be rendered as a page, it runs nothing and reaches nothing of this origin.
    reply.header('content-security-policy', "default-src 'none'; sandbox")
    const redirect = await attachments.storage.downloadUrl(item.key, { contentType: item.contentType, ...(item.disposition !== undefined && { contentDisposition: item.disposition }) }, config.MEDIA_URL_TTL_S)
    if (redirect !== undefined) {
      reply.header('cache-control', 'private, no-store')
      return reply.redirect(redirect, 302)
    }
    reply.header('etag', item.etag)
    reply.header('accept-ranges', 'bytes')
    reply.header('content-type', item.contentType)
    if (item.disposition !== undefined) reply.header('content-disposition', item.disposition)
    if (request.headers['if-none-match'] === item.etag) return reply.code(304).send()
    const range = requestedRange(request.headers.range, item.size, request.headers['if-range'] as string | undefined, item.etag)
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${item.size}`)
      return sendFailure(reply, 'INVALID_FORMAT', { errors: [{ path: '/range', message: `must lie within the ${item.size} bytes of the file` }] }, 416)
    }
    const stream = await attachments.storage.read(item.key, range)
    if (stream === undefined) return sendFailure(reply, 'ATTACHMENT_NOT_FOUND')
    if (range !== undefined) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${item.size}`)
      reply.header('content-length', range.end - range.start + 1)
    } else {
      reply.header('content-length', item.size)
    }
    return reply.send(stream)
  }

  const schema = (summary: string) => ({ summary, params: Params, querystring: Query, response: { 401: Failure, 404: Failure, 416: Failure } })
  app.get('/media/:attachmentId', { schema: schema('An attachment\'s file (bearer token of a member, or a signed link)') },
    (request, reply) => serve(request as MediaRequest, reply, 'original'))
  app.get('/media/:attachmentId/thumb', { schema: schema('An image\'s thumbnail (JPEG, at most 320 px)') },
    (request, reply) => serve(request as MediaRequest, reply, 'thumb'))
  app.get('/media/:attachmentId/preview', { schema: schema('An image\'s preview (JPEG, at most 1280 px; the viewable form of a HEIC)') },
    (request, reply) => serve(request as MediaRequest, reply, 'preview'))
}
