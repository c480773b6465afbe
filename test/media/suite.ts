import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import sharp from 'sharp'
import { build, loggedIn, signToken, useDatabase } from '../helpers.js'
import type { ConfigInput } from '../../src/config.js'
import { executable, filesUnder, jpegWithGps, mp4, pdf, png, upload, uploadDir } from './files.js'

/** Where a suite keeps the bytes: a directory, or a bucket of a real S3-compatible server. */
export interface StorageUnderTest {
  name: string
  /** Settings that point an app at this storage (a fresh place each call). */
  config: () => Promise<ConfigInput>
  /** Every stored object's key (disk: files under UPLOAD_DIR, incoming ones included). */
  objects: (config: ConfigInput) => Promise<string[]>
}

export const diskStorage: StorageUnderTest = {
  name: 'disk',
  config: async () => ({ UPLOAD_DIR: uploadDir() }),
  objects: async (config) => filesUnder(String(config.UPLOAD_DIR))
}

/** Small limits, so that "one byte over" needs no large file. */
export const LIMITS = { UPLOAD_MAX_IMAGE_BYTES: 200_000, UPLOAD_MAX_VIDEO_BYTES: 300_000, UPLOAD_MAX_FILE_BYTES: 100_000 }

/** The upload, thumbnail, access and collection tests, on the given storage. */
export function attachmentSuite (storage: StorageUnderTest): void {
  const db = useDatabase()

  async function app (t: TestContext, extra: ConfigInput = {}): Promise<{ app: FastifyInstance, config: ConfigInput }> {
    const config = { ...LIMITS, ...await storage.config(), ...extra }
    return { app: await build(t, db.database, config), config }
  }

  test(`${storage.name}: each kind is accepted, typed by its bytes`, async (t) => {
    const { app: server } = await app(t)
    const image = await upload(server, await png(64, 48), 'plan.png', { type: 'image/png' })
    assert.equal(image.statusCode, 201, image.body)
    const answer = image.json()
    assert.equal(answer.kind, 'IMAGE')
    assert.equal(answer.mimeType, 'image/png')
    assert.equal(answer.width, 64)
    assert.equal(answer.height, 48)
    assert.match(answer.attachmentId, /^[0-9]+$/)
    assert.match(answer.url, new RegExp(`^/media/${answer.attachmentId}\\?expires=[0-9]+&signature=[A-Za-z0-9_-]+$`))
    assert.match(answer.thumbnailUrl, new RegExp(`^/media/${answer.attachmentId}/thumb\\?`))

    const video = (await upload(server, mp4(1000), 'walk-through.mp4')).json()
    assert.deepEqual([video.kind, video.mimeType, video.size, video.thumbnailUrl], ['VIDEO', 'video/mp4', mp4(1000).length, undefined])
    const document = (await upload(server, pdf(), 'floor plan.pdf')).json()
    assert.deepEqual([document.kind, document.mimeType, document.fileName], ['FILE', 'application/pdf', 'floor plan.pdf'])
    const text = (await upload(server, Buffer.from('Giá: 5 tỷ, thương lượng\n'), 'notes.txt')).json()
    assert.deepEqual([text.kind, text.mimeType], ['FILE', 'text/plain'])
  })

  test(`${storage.name}: a JPEG is turned upright and loses its EXIF, GPS included`, async (t) => {
    const { app: server } = await app(t)
    const original = await jpegWithGps(80, 40)
    const taken = await sharp(original).metadata()
    // The GPS IFD pointer (tag 0x8825), in either byte order.
    const hasGps = (exif: Buffer) => exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]))
    assert.ok(taken.orientation === 6 && taken.exif!.includes(Buffer.from('PhoneMaker')) && hasGps(taken.exif!))
    const answer = (await upload(server, original, 'house.jpg')).json()
    // Orientation 6: the 80×40 sensor image is shown 40×80.
    assert.deepEqual([answer.width, answer.height], [40, 80])
    const served = await server.inject({ url: answer.url })
    assert.equal(served.statusCode, 200)
    const kept = await sharp(served.rawPayload).metadata()
    assert.equal(kept.exif, undefined)
    assert.equal(kept.orientation, undefined)
    assert.deepEqual([kept.width, kept.height], [40, 80])
    assert.ok(!served.rawPayload.includes(Buffer.from('PhoneMaker')))
  })

  test(`${storage.name}: an executable named photo.jpg is refused, and a PDF named photo.jpg too`, async (t) => {
    const { app: server, config } = await app(t)
    const refused = await upload(server, executable(), 'photo.jpg', { type: 'image/jpeg' })
    assert.equal(refused.statusCode, 415)
    assert.equal(refused.json().code, 'UNSUPPORTED_TYPE')
    assert.equal(refused.json().reason, 'File type not allowed')
    assert.equal(refused.json().detected, 'application/x-elf')
    const disguised = await upload(server, pdf(), 'photo.jpg')
    assert.equal(disguised.statusCode, 415)
    assert.match(disguised.json().message, /application\/pdf/)
    assert.deepEqual(await storage.objects(config), [])
  })

  test(`${storage.name}: one byte over the kind's limit is 413 naming the limit, and nothing is kept`, async (t) => {
    const { app: server, config } = await app(t)
    const atLimit = mp4(LIMITS.UPLOAD_MAX_VIDEO_BYTES - 32)
    assert.equal(atLimit.length, LIMITS.UPLOAD_MAX_VIDEO_BYTES)
    assert.equal((await upload(server, atLimit, 'ok.mp4')).statusCode, 201)
    const before = await storage.objects(config)
    const over = await upload(server, mp4(LIMITS.UPLOAD_MAX_VIDEO_BYTES - 31), 'big.mp4')
    assert.equal(over.statusCode, 413)
    assert.deepEqual(over.json(), {
      result: 'failed',
      reason: 'File too large',
      code: 'FILE_TOO_LARGE',
      kind: 'VIDEO',
      limit: 'UPLOAD_MAX_VIDEO_BYTES',
      maxBytes: LIMITS.UPLOAD_MAX_VIDEO_BYTES
    })
    // A document over its (smaller) limit, though under the video one.
    const bigPdf = Buffer.concat([pdf(), Buffer.alloc(LIMITS.UPLOAD_MAX_FILE_BYTES, 0x20)])
    assert.equal((await upload(server, bigPdf, 'big.pdf')).json().limit, 'UPLOAD_MAX_FILE_BYTES')
    assert.deepEqual(await storage.objects(config), before)
  })

  test(`${storage.name}: no token, a bad token, an expired token, an inactive user`, async (t) => {
    const { app: server, config } = await app(t)
    const file = pdf()
    const none = await upload(server, file, 'a.pdf', { authorization: null })
    assert.deepEqual([none.statusCode, none.json().reason], [401, 'Invalid token'])
    const bad = await upload(server, file, 'a.pdf', { authorization: 'Bearer not.a.token' })
    assert.deepEqual([bad.statusCode, bad.json().code], [401, 'INVALID_TOKEN'])
    const expired = await upload(server, file, 'a.pdf', { authorization: `Bearer ${signToken({ sub: '4', exp: Math.floor(Date.now() / 1000) - 60 })}` })
    assert.deepEqual([expired.statusCode, expired.json().code], [401, 'TOKEN_EXPIRED'])
    const banned = await upload(server, file, 'a.pdf', { userId: 16 })
    assert.deepEqual([banned.statusCode, banned.json().code], [403, 'ACCOUNT_INACTIVE'])
    assert.deepEqual(await storage.objects(config), [])
  })

  test(`${storage.name}: the limits are readable before uploading, and in the login answer`, async (t) => {
    const { app: server } = await app(t)
    const config = await server.inject({ url: '/uploads/config' })
    assert.equal(config.statusCode, 200)
    assert.deepEqual(config.json().maxBytes, { IMAGE: LIMITS.UPLOAD_MAX_IMAGE_BYTES, VIDEO: LIMITS.UPLOAD_MAX_VIDEO_BYTES, FILE: LIMITS.UPLOAD_MAX_FILE_BYTES })
    assert.ok(config.json().types.IMAGE.includes('image/heic'))
    const client = await loggedIn(server, 4)
    t.after(() => client.close())
    const login = await client.login(server, 4)
    assert.deepEqual(login.uploads, config.json())
  })
}
