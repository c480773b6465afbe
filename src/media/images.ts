import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import sharp, { type OutputInfo, type Sharp } from 'sharp'

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
  width: number
  height: number
  thumbnails: DerivedImage[]
}

const ANIMATED = new Set(['image/gif', 'image/webp'])

/**
 * Applies the EXIF orientation, then writes the image again without its metadata (sharp keeps none
 * unless asked; the ICC profile is kept so colours stay right), and makes the two JPEG thumbnails.
 * Undefined when the image cannot be decoded here (HEIC without an HEVC decoder): it is then kept as it
 * came, with no preview.
 */
export async function processImage (path: string, mimeType: string): Promise<ProcessedImage | undefined> {
  const options = { failOn: 'error' as const, limitInputPixels: MAX_INPUT_PIXELS, animated: ANIMATED.has(mimeType) }
  const heif = mimeType === 'image/heic' || mimeType === 'image/heif'
  const cleanPath = `${path}.clean`
  const made: string[] = []
  try {
    let out: OutputInfo
    let keptType = mimeType
    if (heif) {
      // HEIC is kept in its own bytes (re-encoding it would need an encoder too); only its preview is JPEG.
      const info = await sharp(path, options).rotate().jpeg({ quality: 85 }).toFile(cleanPath)
      await rm(cleanPath, { force: true })
      out = info
      keptType = mimeType
    } else {
      out = await REENCODE[mimeType]!(sharp(path, options).rotate().keepIccProfile()).toFile(cleanPath)
      made.push(cleanPath)
    }
    const source = heif ? path : cleanPath
    const thumbnails: DerivedImage[] = []
    for (const [name, side] of Object.entries(THUMBNAIL_SIZES) as Array<[DerivedImage['name'], number]>) {
      const thumbPath = `${path}.${name}`
      made.push(thumbPath)
      const info = await sharp(source, { ...options, animated: false }).rotate()
        .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 80 })
        .toFile(thumbPath)
      thumbnails.push({ name, path: thumbPath, width: info.width, height: info.height, size: info.size })
    }
    const kept = heif ? path : cleanPath
    const height = ANIMATED.has(mimeType) ? (out as OutputInfo & { pageHeight?: number }).pageHeight ?? out.height : out.height
    return {
      path: kept,
      mimeType: keptType,
      size: (await stat(kept)).size,
      sha256: await sha256Of(kept),
      width: out.width,
      height,
      thumbnails
    }
  } catch (error) {
    await Promise.all(made.map((file) => rm(file, { force: true })))
    if (heif) return undefined
    throw error
  }
}

async function sha256Of (path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}
