import { createReadStream } from 'node:fs'
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import type { Readable } from 'node:stream'
import type { ByteRange, ObjectStorage } from './types.js'

/** Attachments as files under one directory on this node (UPLOAD_DIR). */
export class DiskStorage implements ObjectStorage {
  readonly kind = 'disk'
  private readonly root: string

  constructor (root: string) {
    this.root = resolve(root)
  }

  /** Keys are made by the server, but a key that would leave the directory is refused all the same. */
  private pathOf (key: string): string {
    const path = resolve(this.root, key)
    if (!path.startsWith(this.root + sep)) throw new Error(`storage key outside the upload directory: ${key}`)
    return path
  }

  async putFile (key: string, path: string): Promise<void> {
    const target = this.pathOf(key)
    await mkdir(dirname(target), { recursive: true })
    try {
      await rename(path, target)
    } catch (error) {
      // Incoming files may sit on another file system than the upload directory.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      await copyFile(path, target)
      await rm(path, { force: true })
    }
  }

  async read (key: string, range?: ByteRange): Promise<Readable | undefined> {
    const path = this.pathOf(key)
    if (await this.size(key) === undefined) return undefined
    return createReadStream(path, range === undefined ? {} : { start: range.start, end: range.end })
  }

  async size (key: string): Promise<number | undefined> {
    try {
      const found = await stat(this.pathOf(key))
      return found.isFile() ? found.size : undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async remove (keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.pathOf(key), { force: true })))
  }

  async downloadUrl (): Promise<undefined> { return undefined }
  async uploadForm (): Promise<undefined> { return undefined }
  async close (): Promise<void> {}

  /** Where incoming files are written while they are checked: inside the directory, so a move is a rename. */
  static incomingDir (root: string): string {
    return join(resolve(root), '.incoming')
  }
}
