import multipart from '@fastify/multipart'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { toWireAttachment } from '../src/chat/attachments.js'
import type { AttachmentRow } from '../src/db/schema.js'
import { tooLarge, UploadRefused } from '../src/media/intake.js'
import type { AttachmentKind } from '../src/media/kinds.js'
import { CommandFailure } from '../src/protocol/errors.js'
import { AttachmentKindName, IdText, UploadAnswerShape, UploadConfigShape } from '../src/protocol/wire-types.js'
import { bearerUser, Failure, sendFailure } from './http-failures.js'

/** The answer of an upload: the attachment object of a message, with its kind. */
export const uploadAnswer = (app: FastifyInstance, row: AttachmentRow) => ({ kind: row.kind, ...toWireAttachment(row, app.mediaLinks) })

/** Counts a stored upload. */
function counted (app: FastifyInstance, row: AttachmentRow): AttachmentRow {
  app.metrics.uploads.inc('success')
  app.metrics.uploadedBytes += Number(row.size)
  return row
}

/** Answers a refusal or an authentication failure (counted); anything else is for Fastify's error handler. */
export function answerUploadError (reply: FastifyReply, error: unknown) {
  const code = error instanceof UploadRefused || error instanceof CommandFailure ? error.code : 'INTERNAL'
  reply.server.metrics.uploads.inc(code)
  if (error instanceof UploadRefused) {
    // The client may still be sending: the connection is not kept for another request.
    reply.header('connection', 'close')
    return sendFailure(reply, error.code, error.details)
  }
  if (error instanceof CommandFailure) return sendFailure(reply, error.code, { errors: error.errors })
  throw error
}

/** POST /uploads and GET /uploads/config (docs/uploads.md). */
export default async function uploadRoutes (app: FastifyInstance) {
  const { limits } = app.attachments
  const largestKind = (['IMAGE', 'VIDEO', 'FILE'] as AttachmentKind[]).reduce((a, b) => limits[a] >= limits[b] ? a : b)
  const largest = limits[largestKind]
  await app.register(multipart, {
    limits: {
      // The limits by kind are checked as the file streams; this one only stops what no kind allows.
      fileSize: largest + 1,
      files: 1,
      fields: 10,
      fieldSize: 1024,
      parts: 12
    }
  })

  app.get('/uploads/config', {
    schema: {
      summary: 'What may be uploaded: the largest size of each kind, in bytes, and the accepted types',
      response: { 200: UploadConfigShape }
    }
  }, async () => app.attachments.clientConfig)

  app.post('/uploads', {
    schema: {
      summary: 'Uploads one file (multipart/form-data, field `file`; Authorization: Bearer <login token>) for a later message',
      response: { 201: UploadAnswerShape, 400: Failure, 401: Failure, 403: Failure, 413: Failure, 415: Failure }
    }
  }, async (request, reply) => {
    try {
      const userId = await bearerUser(app, request)
      if (!request.isMultipart()) throw new CommandFailure('INVALID_FORMAT', [{ path: '/file', message: 'must be sent as multipart/form-data' }])
      const part = await request.file()
      if (part === undefined) throw new CommandFailure('MISSING_FIELDS', [{ path: '/file', message: 'is required: one file part' }])
      const row = counted(app, await app.attachments.upload(userId, part.file, { mimeType: part.mimetype, fileName: part.filename }))
      request.log.info({ attachmentId: row.id, ownerId: userId, kind: row.kind, mimeType: row.mimeType, size: row.size }, 'attachment uploaded')
      return reply.code(201).send(uploadAnswer(app, row))
    } catch (error) {
      if (isMultipartLimit(error)) return answerUploadError(reply, tooLarge(largestKind, limits))
      return answerUploadError(reply, error)
    }
  })

  await directUploadRoutes(app)
}

const DirectBody = Type.Object({
  mimeType: Type.String({ minLength: 1, maxLength: 255 }),
  fileName: Type.Optional(Type.String({ maxLength: 255 })),
  size: Type.Optional(Type.Integer({ minimum: 1 }))
})
const DirectAnswer = Type.Object({
  attachmentId: IdText,
  kind: AttachmentKindName,
  upload: Type.Object({ url: Type.String(), fields: Type.Record(Type.String(), Type.String()) }),
  expiresInS: Type.Integer()
})

/**
 * Direct-to-bucket uploads (S3 storage only): POST /uploads/direct hands out a presigned POST form of the
 * kind's limit; the client posts the file to the bucket, then POST /uploads/:attachmentId/complete has
 * this node check it before it becomes usable.
 */
export async function directUploadRoutes (app: FastifyInstance) {
  app.post('/uploads/direct', {
    attachValidation: true,
    schema: {
      summary: 'Starts a direct upload to the bucket: a presigned POST form (S3 storage only)',
      body: DirectBody,
      response: { 201: DirectAnswer, 400: Failure, 401: Failure, 403: Failure, 413: Failure, 415: Failure, 501: Failure }
    }
  }, async (request, reply) => {
    try {
      const userId = await bearerUser(app, request)
      if (request.validationError !== undefined) throw new CommandFailure('INVALID_FORMAT', [{ path: '/', message: 'must be {mimeType, fileName?, size?}' }])
      const body = request.body as typeof DirectBody.static
      const { row, form } = await app.attachments.startDirect(userId, body)
      request.log.info({ attachmentId: row.id, ownerId: userId, kind: row.kind, mimeType: row.mimeType }, 'direct upload started')
      return reply.code(201).send({ attachmentId: row.id, kind: row.kind, upload: form, expiresInS: app.config.S3_UPLOAD_TTL_S })
    } catch (error) {
      return answerUploadError(reply, error)
    }
  })

  app.post('/uploads/:attachmentId/complete', {
    schema: {
      summary: 'Checks a direct upload (type from its bytes, size) and makes it usable in a message',
      params: Type.Object({ attachmentId: Type.String() }),
      response: { 200: UploadAnswerShape, 400: Failure, 401: Failure, 403: Failure, 404: Failure, 413: Failure, 415: Failure }
    }
  }, async (request, reply) => {
    try {
      const userId = await bearerUser(app, request)
      const row = counted(app, await app.attachments.complete(userId, (request.params as { attachmentId: string }).attachmentId))
      request.log.info({ attachmentId: row.id, ownerId: userId, kind: row.kind, mimeType: row.mimeType, size: row.size }, 'direct upload completed')
      return reply.send(uploadAnswer(app, row))
    } catch (error) {
      return answerUploadError(reply, error)
    }
  })
}

/** @fastify/multipart's own refusal of a file past its fileSize limit. */
const isMultipartLimit = (error: unknown) => (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE'
