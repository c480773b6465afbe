import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import sharp, { type OutputInfo, type Sharp } from 'sharp'
import { eraseHeifMetadata } from './heif.js'

// libvips keeps recently used images in memory; uploads are each seen once.
sharp.cache(false)

/** The two derived sizes (longest side, in pixels; never enlarged): a list thumbnail and a screen preview. */
export const THUMBNAIL_SIZES = { thumb: 320, preview: 1280 } as const

/** Images larger than this many pixels are refused before decoding (a small file can decode to gigabytes). */
const MAX_INPUT_PIXELS = 100_000_000

/** How each image type is written again, metadata-free. */
const REENCODE: Record<string, (image: Sharp) => Sharp> = {
  'image/jpeg': (image) => image.jpeg({ quality: 90 }),
  'image/png': (image) => image.png(),
  'image/webp': (image) => image.webp({ quality: 90 }),
  'image/gif': (image) => image.gif()
}

export interface DerivedImage {
  name: keyof typeof THUMBNAIL_SIZES
  path: string
  width: number
  height: number
  size: number
}

export interface ProcessedImage {
  /** The image as it is kept: upright, without EXIF (GPS included), XMP, IPTC or comments. */
  path: string
  mimeType: string
  size: number
  sha256: string
  width: number | null
  height: number | null
  thumbnails: DerivedImage[]
}

const ANIMATED = new Set(['image/gif', 'image/webp'])

/**
 * Applies the EXIF orientation, then writes the image again without its metadata (sharp keeps none
 * unless asked; the ICC profile is kept so colours stay right), and makes the two JPEG thumbnails.
 * HEIC/HEIF is kept in its own bytes with its EXIF and XMP erased (re-encoding it would need an encoder
 * too); its thumbnails are its viewable JPEG form, and where this build cannot decode it (HEVC) it has
 * none, and its size is read from the container.
 */
export async function processImage (path: string, mimeType: string): Promise<ProcessedImage> {
  const options = { failOn: 'error' as const, limitInputPixels: MAX_INPUT_PIXELS, animated: ANIMATED.has(mimeType) }
  const heif = mimeType === 'image/heic' || mimeType === 'image/heif'
  const facts = heif ? await eraseHeifMetadata(path) : undefined
  const cleanPath = `${path}.clean`
  const made: string[] = []
  try {
    // The kept file's displayed size: HEIF's from a decode of it (rotation applied), others' as written.
    const out = heif
      ? await sharp(path, options).metadata().then((meta) => ({ width: meta.autoOrient.width, height: meta.autoOrient.height }))
      : await REENCODE[mimeType]!(sharp(path, options).rotate().keepIccProfile()).toFile(cleanPath)
    if (!heif) made.push(cleanPath)
    const kept = heif ? path : cleanPath
    const thumbnails: DerivedImage[] = []
    for (const [name, side] of Object.entries(THUMBNAIL_SIZES) as Array<[DerivedImage['name'], number]>) {
      const thumbPath = `${path}.${name}`
      made.push(thumbPath)
      const info = await sharp(kept, { ...options, animated: false }).rotate()
        .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 80 })
        .toFile(thumbPath)
      thumbnails.push({ name, path: thumbPath, width: info.width, height: info.height, size: info.size })
    }
    const height = (out as Partial<OutputInfo>).pageHeight ?? out.height
    return { path: kept, mimeType, size: (await stat(kept)).size, sha256: await sha256Of(kept), width: out.width, height, thumbnails }
  } catch (error) {
    await Promise.all(made.map((file) => rm(file, { force: true })))
    if (!heif) throw error
    return { path, mimeType, size: (await stat(path)).size, sha256: await sha256Of(path), width: facts?.width ?? null, height: facts?.height ?? null, thumbnails: [] }
  }
}

async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}
