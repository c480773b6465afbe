import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import S3rver from 's3rver'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import type { FastifyInstance } from 'fastify'
import sharp from 'sharp'
import { attachmentSuite, fetchMedia, LIMITS, type StorageUnderTest } from './suite.js'
import { jpegWithGps, pdf, uploadDir } from './files.js'
import { build, loggedIn, tokenFor } from '../helpers.js'

// The same suite against a real S3-compatible server: s3rver (npm, pure JavaScript), started here on a
// free loopback port with a bucket in a temporary directory. It serves presigned GETs and POST forms but
// does not enforce a form's policy (content-length-range): the completion's own check is what refuses
// an oversized direct upload here, as it must everywhere.
const BUCKET = 'chat-attachments'
// s3rver's built-in account.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

let server: S3rver | undefined
let endpoint = ''
let client: S3Client | undefined
const directory = mkdtempSync(join(tmpdir(), 'chat-s3rver-'))

before(async () => {
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET, configs: [] }] })
  const { port } = await server.run()
  endpoint = `http://127.0.0.1:${port}`
  client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS })
})
after(async () => {
  client?.destroy()
  await server?.close()
  rmSync(directory, { recursive: true, force: true })
})

export const s3Storage: StorageUnderTest = {
  name: 's3',
  // Each app gets a key prefix of its own in the one bucket.
  config: async () => ({
    UPLOAD_DIR: uploadDir(),
    S3_BUCKET: BUCKET,
    S3_ENDPOINT: endpoint,
    S3_FORCE_PATH_STYLE: true,
    S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    S3_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}/`
  }),
  objects: async (config) => {
    const listed = await client!.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: String(config.S3_KEY_PREFIX) }))
    return (listed.Contents ?? []).map((object) => object.Key!)
  }
}

const db = attachmentSuite(s3Storage)

const directUpload = async (app: FastifyInstance, body: Record<string, unknown>) => app.inject({
  method: 'POST',
  url: '/uploads/direct',
  payload: body,
  headers: { authorization: `Bearer ${tokenFor(app, 4)}` }
})

/** Posts a file to a presigned form, as a browser would (fields first, the file last). */
async function postToBucket (form: { url: string, fields: Record<string, string> }, file: Buffer): Promise<number> {
  const body = new FormData()
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value)
  body.append('file', new Blob([file]))
  return (await fetch(form.url, { method: 'POST', body })).status
}

const complete = (app: FastifyInstance, attachmentId: string) =>
  app.inject({ method: 'POST', url: `/uploads/${attachmentId}/complete`, headers: { authorization: `Bearer ${tokenFor(app, 4)}` } })

test('s3: a direct upload: a presigned POST bounded by content-length-range, usable only once completed and checked', async (t) => {
  const config = { ...LIMITS, ...await s3Storage.config() }
  const app = await build(t, db.database, config)
  const agent = await loggedIn(app, 4)
  t.after(() => agent.close())
  const started = await directUpload(app, { mimeType: 'application/pdf', fileName: 'so-do.pdf', size: pdf().length })
  assert.equal(started.statusCode, 201, started.body)
  const { attachmentId, upload: form, kind } = started.json()
  assert.equal(kind, 'FILE')
  const policy = JSON.parse(Buffer.from(form.fields.Policy, 'base64').toString())
  assert.deepEqual(policy.conditions.filter((condition: unknown) => Array.isArray(condition)), [['content-length-range', 1, LIMITS.UPLOAD_MAX_FILE_BYTES]])
  assert.ok(!JSON.stringify(form).includes(CREDENTIALS.secretAccessKey + '"'), 'the form carries no secret')

  // Not usable before it is completed: not in a message, not served.
  assert.equal((await agent.request({ command: 'user_message', roomId: 1, messageType: 'FILE', attachmentId })).code, 'FORBIDDEN')
  assert.equal((await complete(app, attachmentId)).statusCode, 400)
  assert.ok([200, 204].includes(await postToBucket(form, pdf())))
  assert.equal((await fetchMedia(app, `/media/${attachmentId}`, { authorization: `Bearer ${tokenFor(app, 4)}` })).status, 404)

  const done = await complete(app, attachmentId)
  assert.equal(done.statusCode, 200, done.body)
  assert.deepEqual([done.json().mimeType, done.json().size], ['application/pdf', pdf().length])
  assert.ok((await fetchMedia(app, done.json().url)).body.equals(pdf()))
  assert.deepEqual(await complete(app, attachmentId).then((again) => again.json()).then((again) => again.attachmentId), attachmentId)
  assert.equal((await agent.request({ command: 'user_message', roomId: 1, messageType: 'FILE', attachmentId })).result, 'success')
})

test('s3: a direct upload that is too large or not what it said is refused at completion and removed', async (t) => {
  const config = { ...LIMITS, ...await s3Storage.config() }
  const app = await build(t, db.database, config)
  assert.equal((await directUpload(app, { mimeType: 'application/pdf', size: LIMITS.UPLOAD_MAX_FILE_BYTES + 1 })).statusCode, 413)
  assert.equal((await directUpload(app, { mimeType: 'application/x-msdownload' })).statusCode, 415)

  const big = (await directUpload(app, { mimeType: 'application/pdf' })).json()
  // s3rver does not enforce the policy; a real bucket would have refused this post already.
  await postToBucket(big.upload, Buffer.concat([pdf(), Buffer.alloc(LIMITS.UPLOAD_MAX_FILE_BYTES, 0x20)]))
  const refused = await complete(app, big.attachmentId)
  assert.deepEqual([refused.statusCode, refused.json().limit], [413, 'UPLOAD_MAX_FILE_BYTES'])

  const disguised = (await directUpload(app, { mimeType: 'image/png', fileName: 'photo.png' })).json()
  await postToBucket(disguised.upload, pdf())
  assert.equal((await complete(app, disguised.attachmentId)).statusCode, 415)
  assert.deepEqual(await s3Storage.objects(config), [])
  assert.equal((await complete(app, disguised.attachmentId)).statusCode, 404)

  const photo = (await directUpload(app, { mimeType: 'image/jpeg', fileName: 'house.jpg' })).json()
  await postToBucket(photo.upload, await jpegWithGps(80, 40))
  const cleaned = (await complete(app, photo.attachmentId)).json()
  assert.deepEqual([cleaned.width, cleaned.height, typeof cleaned.thumbnailUrl], [40, 80, 'string'])
  assert.equal((await sharp((await fetchMedia(app, cleaned.url)).body).metadata()).exif, undefined)
})

test('disk: direct uploads need object storage', async (t) => {
  const app = await build(t, db.database, { UPLOAD_DIR: uploadDir() })
  const answer = await directUpload(app, { mimeType: 'application/pdf' })
  assert.deepEqual([answer.statusCode, answer.json().code], [501, 'DIRECT_UPLOADS_OFF'])
})
