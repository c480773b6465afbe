import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto'
import type { AddressInfo } from 'node:net'

/** One request the push service received. */
export interface PushRequest {
  path: string
  headers: IncomingMessage['headers']
  body: Buffer
  at: number
}

/** What the service answers one request with: a status (and headers), or nothing at all (`hold`). */
export type Answer = { status: number, headers?: Record<string, string>, body?: string } | 'hold'

/**
 * A local HTTP server playing a push service (Web Push or FCM): it keeps every request and answers
 * from a queue of planned answers (201 once the queue is empty).
 */
export class FakePushService {
  readonly requests: PushRequest[] = []
  private readonly plan: Answer[] = []
  private waiters: Array<() => void> = []
  readonly held: ServerResponse[] = []
  private readonly server = createServer((req, res) => { void this.receive(req, res) })
  /** Answers a request by path before the plan is consulted (the FCM token endpoint). */
  route: ((request: PushRequest) => Answer | undefined) | undefined
  origin = ''

  async start (): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  /** Plans the answers to the next requests, in order. */
  answer (...answers: Answer[]): void {
    this.plan.push(...answers)
  }

  private async receive (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request: PushRequest = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() }
    const routed = this.route?.(request)
    if (routed === undefined) this.requests.push(request)
    const answer = routed ?? this.plan.shift() ?? { status: 201 }
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
    if (answer === 'hold') { this.held.push(res); return }
    res.writeHead(answer.status, answer.headers ?? {})
    res.end(answer.body ?? '')
  }

  /** Waits until at least `count` requests (not routed ones) have arrived. */
  async received (count: number, timeoutMs = 10_000): Promise<PushRequest[]> {
    const deadline = Date.now() + timeoutMs
    while (this.requests.length < count) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`push service got ${this.requests.length} requests, expected ${count}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
    return this.requests.slice(0, count)
  }

  async close (): Promise<void> {
    for (const res of this.held) res.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** A browser's side of a push subscription: its own P-256 key pair and auth secret. */
export class BrowserSubscription {
  private readonly ecdh = createECDH('prime256v1')
  readonly auth = randomBytes(16)
  readonly publicKey: Buffer

  constructor (readonly endpoint: string) {
    this.publicKey = this.ecdh.generateKeys()
  }

  /** As PushSubscription.toJSON() gives it. */
  toJSON () {
    return { endpoint: this.endpoint, keys: { p256dh: this.publicKey.toString('base64url'), auth: this.auth.toString('base64url') } }
  }

  /** Decrypts an RFC 8291 aes128gcm body (RFC 8188 framing, one record). */
  decrypt (body: Buffer): string {
    const salt = body.subarray(0, 16)
    const recordSize = body.readUInt32BE(16)
    const idLength = body[20]!
    const senderKey = body.subarray(21, 21 + idLength)
    const ciphertext = body.subarray(21 + idLength)
    if (recordSize < ciphertext.length) throw new Error('more than one record')
    const secret = this.ecdh.computeSecret(senderKey)
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.publicKey, senderKey])
    const ikm = Buffer.from(hkdfSync('sha256', secret, this.auth, keyInfo, 32))
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16))
    const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()])
    // The last record ends with the delimiter 0x02, then zero padding.
    let end = padded.length - 1
    while (end >= 0 && padded[end] === 0) end--
    if (padded[end] !== 2) throw new Error('no last-record delimiter')
    return new TextDecoder('utf-8', { fatal: true }).decode(padded.subarray(0, end))
  }
}

/** A VAPID key pair made with node:crypto: the raw public point and the private scalar, base64url. */
export function vapidKeys (): { publicKey: string, privateKey: string } {
  const ecdh = createECDH('prime256v1')
  const publicKey = ecdh.generateKeys()
  return { publicKey: publicKey.toString('base64url'), privateKey: ecdh.getPrivateKey().toString('base64url') }
}

/**
 * Checks the `Authorization: vapid t=<jwt>, k=<key>` header (RFC 8292): the ES256 signature with the
 * server's public key, and returns the claims.
 */
export function verifyVapid (authorization: string | undefined, publicKey: string): { aud: string, exp: number, sub: string } {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '')
  if (match === null) throw new Error(`not a VAPID header: ${authorization}`)
  const [, jwt, key] = match
  if (key !== publicKey) throw new Error('k is not the server key')
  const [header, payload, signature] = jwt!.split('.')
  if (JSON.parse(Buffer.from(header!, 'base64url').toString()).alg !== 'ES256') throw new Error('not ES256')
  const point = Buffer.from(publicKey, 'base64url')
  const jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') }
  const ok = verify('sha256', Buffer.from(`${header}.${payload}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url'))
  if (!ok) throw new Error('VAPID signature does not verify')
  return JSON.parse(Buffer.from(payload!, 'base64url').toString())
}
