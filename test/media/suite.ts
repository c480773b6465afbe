import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { connect as connectTcp } from 'node:net'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import sharp from 'sharp'
import { eq, sql } from 'drizzle-orm'
import { build, listen, loggedIn, signToken, tokenFor, useDatabase } from '../helpers.js'
import { onRealSockets } from '../conversation.js'
import { durationMs, type ConfigInput } from '../../src/config.js'
import { attachments } from '../../src/db/schema.js'
import { executable, filesUnder, multipart, heicWithGps, jpegWithGps, mp4, pdf, png, upload, uploadDir } from './files.js'

/** Where a suite keeps the bytes: a directory, or a bucket of a real S3-compatible server. */
export interface StorageUnderTest {
  name: string
  /** Settings that point an app at this storage (a fresh place each call). */
  config: () => Promise<ConfigInput>
  /** Every stored object's key (disk: files under UPLOAD_DIR, incoming ones included). */
  objects: (config: ConfigInput) => Promise<string[]>
}

/** A media URL fetched as a client would: through the app, then (S3) on to the presigned location. */
export async function fetchMedia (app: FastifyInstance, url: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, string>, body: Buffer }> {
  const answer = await app.inject({ url, headers })
  if (answer.statusCode !== 302) {
    return { status: answer.statusCode, headers: answer.headers as Record<string, string>, body: answer.rawPayload }
  }
  // As browsers and fetch do on a redirect to another origin, the bearer token is not sent on.
  const { authorization: _dropped, ...sent } = headers
  const followed = await fetch(answer.headers.location!, { headers: sent })
  return { status: followed.status, headers: Object.fromEntries(followed.headers), body: Buffer.from(await followed.arrayBuffer()) }
}

const bearer = (app: FastifyInstance, userId: number) => ({ authorization: `Bearer ${tokenFor(app, userId)}` })

export const diskStorage: StorageUnderTest = {
  name: 'disk',
  config: async () => ({ UPLOAD_DIR: uploadDir() }),
  objects: async (config) => filesUnder(String(config.UPLOAD_DIR))
}

/** Small limits, so that "one byte over" needs no large file. */
export const LIMITS = { UPLOAD_MAX_IMAGE_BYTES: 200_000, UPLOAD_MAX_VIDEO_BYTES: 300_000, UPLOAD_MAX_FILE_BYTES: 100_000 }

/** The upload, thumbnail, access and collection tests, on the given storage. */
export function attachmentSuite (storage: StorageUnderTest): ReturnType<typeof useDatabase> {
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
    const served = await fetchMedia(server, answer.url)
    assert.equal(served.status, 200)
    const kept = await sharp(served.body).metadata()
    assert.equal(kept.exif, undefined)
    assert.equal(kept.orientation, undefined)
    assert.deepEqual([kept.width, kept.height], [40, 80])
    assert.ok(!served.body.includes(Buffer.from('PhoneMaker')))
  })

  test(`${storage.name}: HEIC loses its EXIF in place; a JPEG preview where it decodes, none where it does not`, async (t) => {
    const { app: server } = await app(t)
    const decodable = await heicWithGps(96, 64)
    assert.ok(decodable.includes(Buffer.from('PhoneMaker')))
    const answer = (await upload(server, decodable, 'IMG_0001.HEIC')).json()
    assert.deepEqual([answer.kind, answer.mimeType, answer.width, answer.height], ['IMAGE', 'image/heic', 96, 64])
    const kept = await fetchMedia(server, answer.url)
    assert.equal(kept.body.length, decodable.length)
    assert.ok(!kept.body.includes(Buffer.from('PhoneMaker')))
    assert.deepEqual((await sharp(kept.body).metadata()).exif?.includes(Buffer.from('PhoneMaker')) ?? false, false)
    const preview = await sharp((await fetchMedia(server, answer.previewUrl)).body).metadata()
    assert.deepEqual([preview.format, preview.width, preview.height], ['jpeg', 96, 64])

    // An HEVC photo this build cannot decode: accepted, kept, its size read from the file, no preview.
    const iphone = await heicWithGps(96, 64, { hevc: true })
    const stored = await upload(server, iphone, 'IMG_0002.HEIC')
    assert.equal(stored.statusCode, 201, stored.body)
    const plain = stored.json()
    assert.deepEqual([plain.width, plain.height, plain.thumbnailUrl, plain.previewUrl], [96, 64, undefined, undefined])
    const served = await fetchMedia(server, plain.url)
    assert.equal(served.body.length, iphone.length)
    assert.ok(!served.body.includes(Buffer.from('PhoneMaker')))
    // Only the metadata changed: every byte that differs was part of it.
    const changed = [...served.body.keys()].filter((index) => served.body[index] !== iphone[index])
    assert.ok(changed.length > 0 && changed.every((index) => served.body[index] === 0))
    assert.equal((await fetchMedia(server, `/media/${plain.attachmentId}/thumb`, bearer(server, 4))).status, 404)
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

  test(`${storage.name}: an upload the client aborts halfway leaves nothing behind`, async (t) => {
    const { app: server, config } = await app(t)
    const url = new URL((await listen(server)).replace(/^ws/, 'http'))
    const { body, contentType } = await multipart(mp4(200_000), 'tour.mp4')
    const socket = connectTcp(Number(url.port), '127.0.0.1')
    await once(socket, 'connect')
    socket.write(`POST /uploads HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${tokenFor(server, 4)}\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`)
    socket.write(body.subarray(0, 120_000))
    // The server has the first part of the file on disk before the client goes away.
    const incoming = join(String(config.UPLOAD_DIR), '.incoming')
    const deadline = Date.now() + 10_000
    while (!existsSync(incoming) || readdirSync(incoming).length === 0) {
      assert.ok(Date.now() < deadline, 'no incoming file after 10 s')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    socket.destroy()
    while (readdirSync(incoming).length > 0) {
      assert.ok(Date.now() < deadline, `left behind: ${readdirSync(incoming).join(', ')}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.deepEqual(await storage.objects(config), [])
    assert.equal((await server.db.select().from(attachments)).length, 0)
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

  test(`${storage.name}: served back byte for byte, with the headers private content needs; ranges on a video`, async (t) => {
    const { app: server } = await app(t)
    const video = mp4(50_000)
    const document = pdf()
    const videoAnswer = (await upload(server, video, 'tour.mp4')).json()
    const documentAnswer = (await upload(server, document, 'Hợp đồng mua bán.pdf')).json()

    const whole = await fetchMedia(server, videoAnswer.url)
    assert.equal(whole.status, 200)
    assert.ok(whole.body.equals(video))
    assert.equal(whole.headers['content-type'], 'video/mp4')
    const range = await fetchMedia(server, videoAnswer.url, { range: 'bytes=1000-1999' })
    assert.equal(range.status, 206)
    assert.equal(range.headers['content-range'], `bytes 1000-1999/${video.length}`)
    assert.ok(range.body.equals(video.subarray(1000, 2000)))
    const rest = await fetchMedia(server, videoAnswer.url, { range: 'bytes=49000-' })
    assert.equal(rest.status, 206)
    assert.ok(rest.body.equals(video.subarray(49000)))

    const file = await fetchMedia(server, documentAnswer.url)
    assert.equal(file.status, 200)
    assert.ok(file.body.equals(document))
    assert.equal(file.headers['content-type'], 'application/pdf')
    assert.equal(file.headers['content-disposition'], "attachment; filename=\"H_p __ng mua b_n.pdf\"; filename*=UTF-8''H%E1%BB%A3p%20%C4%91%E1%BB%93ng%20mua%20b%C3%A1n.pdf")

    // What this node answers itself (the S3 redirect carries the rest to the bucket's answer).
    const direct = await server.inject({ url: documentAnswer.url })
    if (direct.statusCode === 302) {
      assert.equal(direct.headers['cache-control'], 'private, no-store')
      // A presigned GET: signed, expiring with the media links, naming the type and the download.
      const location = new URL(String(direct.headers.location))
      assert.ok(location.searchParams.get('X-Amz-Signature'))
      assert.equal(location.searchParams.get('X-Amz-Expires'), '600')
      assert.equal(location.searchParams.get('response-content-type'), 'application/pdf')
      assert.match(location.searchParams.get('response-content-disposition')!, /^attachment; /)
    } else {
      assert.equal(direct.headers['x-content-type-options'], 'nosniff')
      assert.equal(direct.headers['content-security-policy'], "default-src 'none'; sandbox")
      assert.equal(direct.headers['cache-control'], 'private, max-age=600')
      assert.equal(direct.headers.vary, 'Authorization')
      assert.match(String(direct.headers.etag), /^"[0-9a-f]{64}"$/)
      assert.equal((await server.inject({ url: documentAnswer.url, headers: { 'if-none-match': String(direct.headers.etag) } })).statusCode, 304)
      assert.equal((await server.inject({ url: videoAnswer.url, headers: { range: `bytes=${video.length}-` } })).statusCode, 416)
      // A suffix range (s3rver answers these wrongly, so only where this node serves the bytes).
      const tail = await fetchMedia(server, videoAnswer.url, { range: 'bytes=-100' })
      assert.deepEqual([tail.status, tail.headers['content-range']], [206, `bytes ${video.length - 100}-${video.length - 1}/${video.length}`])
      assert.ok(tail.body.equals(video.subarray(video.length - 100)))
    }
  })

  test(`${storage.name}: thumbnails of the right size; an image comes back pixel for pixel`, async (t) => {
    const { app: server } = await app(t, { UPLOAD_MAX_IMAGE_BYTES: 5_000_000 })
    const original = await png(1600, 800)
    const answer = (await upload(server, original, 'facade.png')).json()
    const thumb = await fetchMedia(server, answer.thumbnailUrl)
    assert.equal(thumb.status, 200)
    assert.equal(thumb.headers['content-type'], 'image/jpeg')
    const thumbSize = await sharp(thumb.body).metadata()
    assert.deepEqual([thumbSize.format, thumbSize.width, thumbSize.height], ['jpeg', 320, 160])
    const preview = await sharp((await fetchMedia(server, answer.previewUrl)).body).metadata()
    assert.deepEqual([preview.width, preview.height], [1280, 640])
    const kept = await fetchMedia(server, answer.url)
    const pixels = (image: Buffer) => sharp(image).removeAlpha().raw().toBuffer()
    assert.ok((await pixels(kept.body)).equals(await pixels(original)))
    // A small image is not enlarged.
    const small = (await upload(server, await png(100, 50), 'small.png')).json()
    const smallThumb = await sharp((await fetchMedia(server, small.thumbnailUrl)).body).metadata()
    assert.deepEqual([smallThumb.width, smallThumb.height], [100, 50])
  })

  test(`${storage.name}: the full flow over real sockets: upload, send with attachmentId, the member's links work, a third user is refused`, async (t) => {
    const { app: server } = await app(t)
    const { url, clients } = await onRealSockets(server, { agent: [4, 'agent-phone'], buyer: [14, 'buyer-phone'], outsider: [15, 'outsider-phone'] })
    t.after(() => { for (const client of Object.values(clients)) client.close() })
    const origin = url.replace(/^ws/, 'http').replace(/\/ws$/, '')
    const form = new FormData()
    form.append('file', new Blob([await png(640, 480)], { type: 'image/png' }), 'living-room.png')
    const uploaded = await fetch(`${origin}/uploads`, { method: 'POST', body: form, headers: bearer(server, 4) })
    assert.equal(uploaded.status, 201)
    const { attachmentId } = await uploaded.json() as { attachmentId: string }

    // Before it is sent: its uploader only.
    assert.equal((await fetchMedia(server, `/media/${attachmentId}`, bearer(server, 4))).status, 200)
    assert.equal((await fetchMedia(server, `/media/${attachmentId}`, bearer(server, 14))).status, 404)

    // Only the uploader may send it, and only once.
    const stolen = await clients.buyer.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', attachmentId })
    assert.deepEqual([stolen.result, stolen.code], ['failed', 'FORBIDDEN'])
    const wrongKind = await clients.agent.request({ command: 'user_message', roomId: 1, messageType: 'VIDEO', attachmentId })
    assert.deepEqual([wrongKind.code, wrongKind.errors], ['INVALID_FORMAT', [{ path: '/messageType', message: 'must be IMAGE for this attachment' }]])

    const sent = await clients.agent.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', attachmentId, content: 'Phòng khách' })
    assert.equal(sent.result, 'success', JSON.stringify(sent))
    const received = await clients.buyer.next((frame) => frame.command === 'user_message')
    const { message } = received
    assert.deepEqual(message, sent.message)
    assert.equal(message.attachment.attachmentId, attachmentId)
    assert.deepEqual([message.attachment.mimeType, message.attachment.width, message.attachment.height], ['image/png', 640, 480])
    assert.equal(message.media, message.attachment.url)
    const image = await fetch(`${origin}${message.attachment.url}`, { redirect: 'follow' })
    assert.equal(image.status, 200)
    const thumb = await fetch(`${origin}${message.attachment.thumbnailUrl}`, { redirect: 'follow' })
    assert.deepEqual([(await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width], [320])

    const again = await clients.agent.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', attachmentId })
    assert.equal(again.code, 'FORBIDDEN')
    // Sent: the members, by bearer token too; never the outsider, whatever the link.
    assert.equal((await fetchMedia(server, `/media/${attachmentId}`, bearer(server, 14))).status, 200)
    assert.equal((await fetchMedia(server, `/media/${attachmentId}`, bearer(server, 15))).status, 404)
    assert.equal((await fetchMedia(server, `/media/${attachmentId}/thumb`, bearer(server, 15))).status, 404)
    assert.equal((await server.inject({ url: `/media/${attachmentId}` })).statusCode, 401)
    const forged = message.attachment.url.replace(/signature=[^&]+/, 'signature=' + 'A'.repeat(43))
    assert.equal((await server.inject({ url: forged })).statusCode, 404)
    const otherVariant = message.attachment.url.replace(`/media/${attachmentId}?`, `/media/${attachmentId}/preview?`)
    assert.equal((await server.inject({ url: otherVariant })).statusCode, 404)

    // History and sync carry the attachment with fresh links.
    const history = await clients.buyer.request({ command: 'room_history', roomId: 1 })
    const listed = history.messages.find((entry: { messageId: string }) => entry.messageId === message.messageId)
    assert.equal(listed.attachment.attachmentId, attachmentId)
    assert.equal((await fetchMedia(server, listed.attachment.thumbnailUrl)).status, 200)
    const sync = await clients.buyer.request({ command: 'sync', since: '0' })
    assert.equal(sync.messages.at(-1).attachment.attachmentId, attachmentId)
    const rooms = await clients.buyer.request({ command: 'room_list' })
    assert.equal(rooms.rooms[0].lastMessage.attachment.attachmentId, attachmentId)
  })

  test(`${storage.name}: a member removed from the room is refused from then on`, async (t) => {
    const { app: server } = await app(t)
    const buyer = await loggedIn(server, 14)
    t.after(() => buyer.close())
    assert.equal((await buyer.request({ command: 'room_add_member', roomId: 1, userId: 15 })).result, 'success')
    const { attachmentId } = (await upload(server, pdf(), 'so-do.pdf', { userId: 14 })).json()
    assert.equal((await buyer.request({ command: 'user_message', roomId: 1, messageType: 'FILE', attachmentId })).result, 'success')
    assert.equal((await fetchMedia(server, `/media/${attachmentId}`, bearer(server, 15))).status, 200)
    assert.equal((await buyer.request({ command: 'room_remove_member', roomId: 1, userId: 15 })).result, 'success')
    assert.equal((await fetchMedia(server, `/media/${attachmentId}`, bearer(server, 15))).status, 404)
    assert.equal((await fetchMedia(server, `/media/${attachmentId}`, bearer(server, 4))).status, 200)
  })

  test(`${storage.name}: uploads never sent are collected after UPLOAD_ORPHAN_TTL, bytes and thumbnails`, async (t) => {
    const { app: server, config } = await app(t, { UPLOAD_ORPHAN_TTL: '24h' })
    const agent = await loggedIn(server, 4)
    t.after(() => agent.close())
    const old = (await upload(server, await png(400, 300), 'old.png')).json()
    const fresh = (await upload(server, pdf(), 'fresh.pdf')).json()
    const sentOld = (await upload(server, pdf(), 'sent.pdf')).json()
    assert.equal((await agent.request({ command: 'user_message', roomId: 1, messageType: 'FILE', attachmentId: sentOld.attachmentId })).result, 'success')
    const before = await storage.objects(config)
    assert.equal(before.length, 3 + 1 + 1, before.join(', '))
    await server.db.update(attachments).set({ createdAt: sql`now() - interval '25 hours'` }).where(sql`${attachments.id} IN (${old.attachmentId}, ${sentOld.attachmentId})`)

    assert.equal(await server.attachments.collectGarbage(durationMs('24h')), 1)
    const after = await storage.objects(config)
    assert.equal(after.length, 2, after.join(', '))
    assert.equal((await fetchMedia(server, old.url)).status, 404)
    assert.equal((await fetchMedia(server, fresh.url)).status, 200)
    assert.equal((await fetchMedia(server, `/media/${sentOld.attachmentId}`, bearer(server, 14))).status, 200)
    assert.deepEqual((await server.db.select({ id: attachments.id }).from(attachments).orderBy(attachments.id)).map((row) => row.id), [fresh.attachmentId, sentOld.attachmentId])
  })

  test(`${storage.name}: the collection runs by itself every UPLOAD_GC_INTERVAL_MS`, async (t) => {
    const { app: server, config } = await app(t, { UPLOAD_ORPHAN_TTL: '1s', UPLOAD_GC_INTERVAL_MS: 50 })
    const orphan = (await upload(server, pdf(), 'orphan.pdf')).json()
    await server.db.update(attachments).set({ createdAt: sql`now() - interval '1 minute'` }).where(eq(attachments.id, orphan.attachmentId))
    const deadline = Date.now() + 10_000
    // The bytes go first, then the row (kept until they are gone): done when both are.
    while ((await storage.objects(config)).length > 0 || (await server.db.select().from(attachments)).length > 0) {
      assert.ok(Date.now() < deadline, 'the orphan is still stored after 10 s')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })

  test(`${storage.name}: deleting a message removes its attachment's bytes and thumbnails`, async (t) => {
    const { app: server, config } = await app(t)
    const agent = await loggedIn(server, 4)
    t.after(() => agent.close())
    const kept = (await upload(server, pdf(), 'kept.pdf')).json()
    const photo = (await upload(server, await png(400, 300), 'house.png')).json()
    const sent = await agent.request({ command: 'user_message', roomId: 1, messageType: 'IMAGE', attachmentId: photo.attachmentId })
    assert.equal((await storage.objects(config)).length, 1 + 3)
    const deleted = await agent.request({ command: 'message_delete', messageId: sent.message.messageId })
    assert.equal(deleted.result, 'success')
    const left = await storage.objects(config)
    assert.equal(left.length, 1, left.join(', '))
    assert.equal((await fetchMedia(server, `/media/${photo.attachmentId}`, bearer(server, 4))).status, 404)
    assert.equal((await fetchMedia(server, sent.message.attachment.thumbnailUrl)).status, 404)
    assert.equal((await fetchMedia(server, kept.url)).status, 200)
    const history = await agent.request({ command: 'room_history', roomId: 1 })
    const tombstone = history.messages.find((message: { messageId: string }) => message.messageId === sent.message.messageId)
    assert.deepEqual([tombstone.media, tombstone.attachment], [null, undefined])
  })
  return db
}
