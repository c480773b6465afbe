import type { Config } from '../config.js'
import { DiskStorage } from './disk.js'
import type { ObjectStorage } from './types.js'

/**
 * The one place that chooses where attachment bytes live: an S3-compatible bucket when S3_BUCKET is set,
 * otherwise UPLOAD_DIR on this node's disk.
 */
export async function chooseStorage (config: Config): Promise<ObjectStorage> {
  return new DiskStorage(config.UPLOAD_DIR)
}

/** Where incoming files wait while they are checked, whichever storage keeps them afterwards. */
export const incomingDir = (config: Pick<Config, 'UPLOAD_DIR'>): string => DiskStorage.incomingDir(config.UPLOAD_DIR)
