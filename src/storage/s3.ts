import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { createPresignedPost } from '@aws-sdk/s3-presigned-post'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { ByteRange, DownloadHeaders, ObjectStorage, UploadForm } from './types.js'

export interface S3StorageOptions {
  bucket: string
  /** An S3-compatible server's URL; AWS's own when unset. */
  endpoint?: string | undefined
  region: string
  /** Without them, the AWS SDK's default chain (environment, instance role, ...). */
  credentials?: { accessKeyId: string, secretAccessKey: string } | undefined
  forcePathStyle: boolean
  /** Put before every key: several deployments can share a bucket. */
  keyPrefix: string
}

const isMissing = (error: unknown) => {
  const { name, $metadata } = error as { name?: string, $metadata?: { httpStatusCode?: number } }
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404
}

/**
 * Attachments in an S3-compatible bucket, through @aws-sdk/client-s3. Clients never see the credentials:
 * they are sent to short-lived presigned URLs (GET to download, a POST form to upload directly), which
 * carry a signature and the access key's id, never the secret.
 */
export class S3Storage implements ObjectStorage {
  readonly kind = 's3'
  private readonly client: S3Client
  private readonly bucket: string
  private readonly prefix: string

  constructor (options: S3StorageOptions) {
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...(options.credentials !== undefined && { credentials: options.credentials }),
      // Checksums only where S3 requires them: S3-compatible servers do not all know the newer
      // checksum headers, nor the aws-chunked bodies that carry them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED'
    })
    this.bucket = options.bucket
    this.prefix = options.keyPrefix
  }

  private object (key: string) {
    return { Bucket: this.bucket, Key: `${this.prefix}${key}` }
  }

  async putFile (key: string, path: string, contentType: string): Promise<void> {
    const { size } = await stat(path)
    await this.client.send(new PutObjectCommand({ ...this.object(key), Body: createReadStream(path), ContentLength: size, ContentType: contentType }))
    await rm(path, { force: true })
  }

  async read (key: string, range?: ByteRange): Promise<Readable | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ ...this.object(key), ...(range !== undefined && { Range: `bytes=${range.start}-${range.end}` }) }))
      return answer.Body as Readable
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  async size (key: string): Promise<number | undefined> {
    try {
      return (await this.client.send(new HeadObjectCommand(this.object(key)))).ContentLength
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  async remove (keys: string[]): Promise<void> {
    // One request each: DeleteObjects needs a checksum header that not every S3-compatible server takes.
    await Promise.all(keys.map((key) => this.client.send(new DeleteObjectCommand(this.object(key)))))
  }

  async downloadUrl (key: string, headers: DownloadHeaders, ttlS: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({
      ...this.object(key),
      ResponseContentType: headers.contentType,
      ...(headers.contentDisposition !== undefined && { ResponseContentDisposition: headers.contentDisposition }),
      ResponseCacheControl: `private, max-age=${ttlS}`
    }), { expiresIn: ttlS })
  }

  async uploadForm (key: string, maxBytes: number, ttlS: number): Promise<UploadForm> {
    const form = await createPresignedPost(this.client, {
      ...this.object(key),
      // The bucket refuses a file over the limit before storing it; the completion checks again.
      Conditions: [['content-length-range', 1, maxBytes]],
      Expires: ttlS
    })
    return { url: form.url, fields: form.fields }
  }

  async close (): Promise<void> {
    this.client.destroy()
  }
}
