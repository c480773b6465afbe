import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import sharp from 'sharp'
import { tokenFor } from '../helpers.js'

// Small real files, made by the tests: nothing binary is committed.

/** A PNG of the given size, a colour gradient so that thumbnails have something to show. */
export async function png (width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set([(x * 255 / width) | 0, (y * 255 / height) | 0, 128], (y * width + x) * 3)
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer()
}

/** A JPEG taken "sideways" (EXIF orientation 6) with the GPS position of the seller's home in its EXIF. */
export async function jpegWithGps (width: number, height: number): Promise<Buffer> {
  return sharp(await png(width, height)).jpeg()
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: 'PhoneMaker', Model: 'Phone 15' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '21/1 1/1 42/1', GPSLongitudeRef: 'E', GPSLongitude: '105/1 51/1 12/1' }
    })
    .toBuffer()
}

/**
 * A HEIC as a phone writes it, with the seller's GPS position in its EXIF: a HEIF container (brand heic)
 * made by sharp, whose image is AV1-coded so that this build can decode it. `hevc` relabels the image
 * item as HEVC ('hvc1'), which the prebuilt library cannot decode: an iPhone photo, as far as it can tell.
 */
export async function heicWithGps (width: number, height: number, options: { hevc?: boolean } = {}): Promise<Buffer> {
  const heif = await sharp(await png(width, height)).heif({ compression: 'av1', quality: 60 })
    .withExif({ IFD0: { Make: 'PhoneMaker' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '21/1 1/1 42/1' } })
    .toBuffer()
  heif.write('heic', 8, 'latin1')
  if (options.hevc === true) {
    for (let at = heif.indexOf('av01'); at >= 0; at = heif.indexOf('av01', at + 4)) heif.write('hvc1', at, 'latin1')
  }
  return heif
}

/** The smallest PDF readers accept: a catalog, an empty page tree, a trailer. */
export const pdf = (): Buffer => Buffer.from([
  '%PDF-1.4',
  '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
  '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj',
  'trailer << /Root 1 0 R >>',
  '%%EOF',
  ''
].join('\n'))

/** An MP4: its ftyp box (brand isom) and an mdat box of `payloadBytes` patterned bytes. */
export function mp4 (payloadBytes: number): Buffer {
  const ftyp = Buffer.alloc(24)
  ftyp.writeUInt32BE(24, 0)
  ftyp.write('ftypisom', 4, 'latin1')
  ftyp.writeUInt32BE(0x200, 12)
  ftyp.write('isommp41', 16, 'latin1')
  const mdat = Buffer.alloc(8 + payloadBytes)
  mdat.writeUInt32BE(8 + payloadBytes, 0)
  mdat.write('mdat', 4, 'latin1')
  for (let i = 8; i < mdat.length; i++) mdat[i] = i % 251
  return Buffer.concat([ftyp, mdat])
}

/** A Linux executable's header (ELF, x86-64) and some code bytes: what a "photo.jpg" should never be. */
export function executable (): Buffer {
  const elf = Buffer.alloc(256)
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(elf)
  elf.writeUInt16LE(2, 16)
  elf.writeUInt16LE(0x3e, 18)
  elf.writeUInt32LE(1, 20)
  return elf
}

/** A multipart/form-data body with one file part, as a browser's FormData sends it. */
export async function multipart (file: Buffer, fileName: string, type = 'application/octet-stream'): Promise<{ body: Buffer, contentType: string }> {
  const form = new FormData()
  form.append('file', new Blob([file], { type }), fileName)
  const request = new Request('http://upload.invalid/', { method: 'POST', body: form })
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! }
}

/** POST /uploads through inject, as `userId` (or with the given Authorization header, or none). */
export async function upload (app: FastifyInstance, file: Buffer, fileName: string, options: { userId?: number, authorization?: string | null, type?: string } = {}) {
  const { body, contentType } = await multipart(file, fileName, options.type)
  const authorization = options.authorization === undefined ? `Bearer ${tokenFor(app, options.userId ?? 4)}` : options.authorization
  return app.inject({
    method: 'POST',
    url: '/uploads',
    payload: body,
    headers: { 'content-type': contentType, ...(authorization !== null && { authorization }) }
  })
}

const uploadDirs: string[] = []
/** A fresh upload directory for one app, removed when the test process exits. */
export function uploadDir (): string {
  if (uploadDirs.length === 0) process.once('exit', () => { for (const dir of uploadDirs) rmSync(dir, { recursive: true, force: true }) })
  const dir = mkdtempSync(join(tmpdir(), 'chat-uploads-'))
  uploadDirs.push(dir)
  return dir
}

/** Every file under `dir`, as paths relative to it. */
export function filesUnder (dir: string, prefix = ''): string[] {
  const found: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) found.push(...filesUnder(path, `${prefix}${name}/`))
    else found.push(`${prefix}${name}`)
  }
  return found
}
