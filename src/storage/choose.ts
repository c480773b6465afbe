import type { Config } from '../config.js'
import { DiskStorage } from './disk.js'
import { S3Storage } from './s3.js'
import type { ObjectStorage } from './types.js'

/**
 * The one place that chooses where attachment bytes live: an S3-compatible bucket when S3_BUCKET is set,
 * otherwise UPLOAD_DIR on this node's disk. Nothing else knows which one runs.
 */
export function chooseStorage (config: Config): ObjectStorage {
  if (config.S3_BUCKET === undefined) return new DiskStorage(config.UPLOAD_DIR)
  return new S3Storage({
    bucket: config.S3_BUCKET,
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    credentials: config.S3_ACCESS_KEY_ID === undefined || config.S3_SECRET_ACCESS_KEY === undefined
      ? undefined
      : { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    keyPrefix: config.S3_KEY_PREFIX
  })
}

/** Where incoming files wait while they are checked, whichever storage keeps them afterwards. */
export const incomingDir = (config: Pick<Config, 'UPLOAD_DIR'>): string => DiskStorage.incomingDir(config.UPLOAD_DIR)
