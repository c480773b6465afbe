import { open } from 'node:fs/promises'

/**
 * HEIC/HEIF files (ISO/IEC 23008-12) without decoding them: their displayed size, and the removal of their
 * EXIF and XMP (GPS included). The prebuilt image library cannot decode HEVC, so an iPhone photo is kept in
 * its own bytes; its metadata items are overwritten with zeros in place, which keeps every offset of the
 * file valid and the picture untouched. Readers then find no usable EXIF or XMP.
 */

/** The file's `meta` box is near its start; more than this is not read. */
const META_READ_LIMIT = 4 * 1024 * 1024

interface Box { type: string, start: number, body: number, end: number }

function* boxes (data: Buffer, from: number, to: number): Generator<Box> {
  let at = from
  while (at + 8 <= to) {
    let size = data.readUInt32BE(at)
    const type = data.toString('latin1', at + 4, at + 8)
    let body = at + 8
    if (size === 1) {
      if (at + 16 > to) return
      size = Number(data.readBigUInt64BE(at + 8))
      body = at + 16
    } else if (size === 0) {
      size = to - at
    }
    if (size < body - at || at + size > to) return
    yield { type, start: at, body, end: at + size }
    at += size
  }
}

const child = (data: Buffer, parent: { body: number, end: number }, type: string, skip = 0) => {
  for (const box of boxes(data, parent.body + skip, parent.end)) if (box.type === type) return box
  return undefined
}

/** Reads an unsigned integer of 0, 2, 4 or 8 bytes. */
function uint (data: Buffer, at: number, bytes: number): number {
  if (bytes === 0) return 0
  if (bytes === 2) return data.readUInt16BE(at)
  if (bytes === 4) return data.readUInt32BE(at)
  if (bytes === 8) return Number(data.readBigUInt64BE(at))
  throw new Error(`unsupported field size ${bytes}`)
}

export interface HeifFacts {
  /** Displayed size of the primary image (its rotation applied), when the file says. */
  width: number | null
  height: number | null
  /** File byte ranges holding EXIF or XMP items. */
  metadata: Array<{ start: number, length: number }>
}

/** What the `meta` box says of a HEIF file's first bytes; undefined when it is not a readable HEIF. */
export function readHeif (data: Buffer): HeifFacts | undefined {
  const meta = [...boxes(data, 0, data.length)].find((box) => box.type === 'meta')
  if (meta === undefined) return undefined
  const inMeta = { body: meta.body + 4, end: meta.end }
  const types = new Map<number, string>()
  const iinf = child(data, inMeta, 'iinf')
  if (iinf !== undefined) {
    const version = data[iinf.body]!
    for (const infe of boxes(data, iinf.body + 4 + (version === 0 ? 2 : 4), iinf.end)) {
      if (infe.type !== 'infe' || data[infe.body]! < 2) continue
      const wide = data[infe.body]! >= 3
      const itemId = wide ? data.readUInt32BE(infe.body + 4) : data.readUInt16BE(infe.body + 4)
      const typeAt = infe.body + 4 + (wide ? 4 : 2) + 2
      let itemType = data.toString('latin1', typeAt, typeAt + 4)
      if (itemType === 'mime') {
        const name = data.indexOf(0, typeAt + 4)
        const contentType = data.toString('latin1', typeAt + 4, name < 0 ? infe.end : name)
        if (contentType.includes('rdf+xml')) itemType = 'XMP'
      }
      types.set(itemId, itemType)
    }
  }
  const metadata: HeifFacts['metadata'] = []
  const iloc = child(data, inMeta, 'iloc')
  const idat = child(data, inMeta, 'idat')
  if (iloc !== undefined) {
    const version = data[iloc.body]!
    let at = iloc.body + 4
    const offsetSize = data[at]! >> 4
    const lengthSize = data[at]! & 15
    const baseSize = data[at + 1]! >> 4
    const indexSize = version >= 1 ? data[at + 1]! & 15 : 0
    at += 2
    const count = version < 2 ? data.readUInt16BE(at) : data.readUInt32BE(at)
    at += version < 2 ? 2 : 4
    for (let item = 0; item < count; item++) {
      const itemId = version < 2 ? data.readUInt16BE(at) : data.readUInt32BE(at)
      at += version < 2 ? 2 : 4
      const method = version >= 1 ? data.readUInt16BE(at) & 15 : 0
      if (version >= 1) at += 2
      at += 2
      const base = uint(data, at, baseSize)
      at += baseSize
      const extents = data.readUInt16BE(at)
      at += 2
      for (let extent = 0; extent < extents; extent++) {
        at += indexSize
        const offset = uint(data, at, offsetSize)
        at += offsetSize
        const length = uint(data, at, lengthSize)
        at += lengthSize
        const type = types.get(itemId)
        if (type !== 'Exif' && type !== 'XMP') continue
        // Construction method 0: offsets in the file; 1: in the meta box's idat.
        const origin = method === 1 ? idat?.body : method === 0 ? 0 : undefined
        if (origin !== undefined) metadata.push({ start: origin + base + offset, length })
      }
    }
  }
  return { ...primarySize(data, inMeta), metadata }
}

/** The primary item's `ispe` (and `irot`: a quarter turn swaps them). */
function primarySize (data: Buffer, inMeta: { body: number, end: number }): { width: number | null, height: number | null } {
  const unknown = { width: null, height: null }
  const pitm = child(data, inMeta, 'pitm')
  const iprp = child(data, inMeta, 'iprp')
  if (pitm === undefined || iprp === undefined) return unknown
  const primary = data[pitm.body] === 0 ? data.readUInt16BE(pitm.body + 4) : data.readUInt32BE(pitm.body + 4)
  const ipco = child(data, iprp, 'ipco')
  const ipma = child(data, iprp, 'ipma')
  if (ipco === undefined || ipma === undefined) return unknown
  const properties = [...boxes(data, ipco.body, ipco.end)]
  const version = data[ipma.body]!
  const wideIndex = (data[ipma.body + 3]! & 1) === 1
  let at = ipma.body + 4
  const entries = data.readUInt32BE(at)
  at += 4
  for (let entry = 0; entry < entries; entry++) {
    const itemId = version < 1 ? data.readUInt16BE(at) : data.readUInt32BE(at)
    at += version < 1 ? 2 : 4
    const associations = data[at]!
    at += 1
    const indices: number[] = []
    for (let association = 0; association < associations; association++) {
      indices.push(wideIndex ? data.readUInt16BE(at) & 0x7fff : data[at]! & 0x7f)
      at += wideIndex ? 2 : 1
    }
    if (itemId !== primary) continue
    const own = indices.map((index) => properties[index - 1]).filter((box) => box !== undefined)
    const ispe = own.find((box) => box.type === 'ispe')
    if (ispe === undefined) return unknown
    const turned = own.some((box) => box.type === 'irot' && (data[box.body]! & 1) === 1)
    const width = data.readUInt32BE(ispe.body + 4)
    const height = data.readUInt32BE(ispe.body + 8)
    return turned ? { width: height, height: width } : { width, height }
  }
  return unknown
}

/** Overwrites the EXIF and XMP items of the HEIF file at `path` with zeros; answers what it read of the file. */
export async function eraseHeifMetadata (path: string): Promise<HeifFacts | undefined> {
  const file = await open(path, 'r+')
  try {
    const { size } = await file.stat()
    const head = Buffer.alloc(Math.min(size, META_READ_LIMIT))
    await file.read(head, 0, head.length, 0)
    const facts = readHeif(head)
    for (const range of facts?.metadata ?? []) {
      const length = Math.max(0, Math.min(range.length, size - range.start))
      if (length > 0) await file.write(Buffer.alloc(length), 0, length, range.start)
    }
    return facts
  } finally {
    await file.close()
  }
}
