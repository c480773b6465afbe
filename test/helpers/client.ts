import WebSocket from 'ws'
import { tokenFor, type TokenIssuer } from './tokens.js'

// Frames are whatever JSON the server sent; tests reach into them freely and assert on the values.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>

let presenceRecorded = false
/**
 * Presence events follow every login of a room member; only the suites about presence want to see them.
 * Call at the top of such a file: every client of the file then keeps them like any other frame.
 */
export const recordPresence = (): void => { presenceRecorded = true }

/** A WebSocket client that keeps every frame it receives, for tests to take in order. */
export class TestClient {
  readonly ws: WebSocket
  private readonly frames: Frame[] = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number, reason: string }>

  constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data, isBinary) => {
      const frame: Frame = isBinary ? { binary: data } : JSON.parse(data.toString())
      if (frame.command === 'presence' && !presenceRecorded) return
      this.frames.push(frame)
      this.wake()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => { this.wake(); resolve({ code, reason: reason.toString() }) })
    })
    ws.on('error', () => {})
  }

  private wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const waiter of waiters) waiter()
  }

  send (frame: Frame | string | Buffer, options?: { binary?: boolean }): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame), options ?? {})
  }

  /** Takes the first received frame that matches (by default: any), waiting up to `timeoutMs`. */
  async next (match: (frame: Frame) => boolean = () => true, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.frames.findIndex(match)
      if (index >= 0) return this.frames.splice(index, 1)[0]!
      const left = deadline - Date.now()
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`no matching frame within ${timeoutMs} ms; received: ${JSON.stringify(this.frames).slice(0, 500)}`)
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  /** Sends a command and takes the direct answer to it (same command, or the pong). */
  async request (frame: Frame, timeoutMs = 3000): Promise<Frame> {
    this.send(frame)
    const expected = frame.command === 'ping' ? 'pong' : frame.command
    return this.next((received) => received.command === expected && (received.result !== undefined || expected === 'pong'), timeoutMs)
  }

  /**
   * Waits for the socket to close, at most `timeoutMs`. Unlike awaiting `closed`, this keeps the process
   * alive meanwhile: the server's own timers are unref'd, and an injected socket holds no handle.
   */
  async closedWithin (timeoutMs = 3000): Promise<{ code: number, reason: string }> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      return await Promise.race([this.closed, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Frames received and not yet taken. */
  pending (): Frame[] {
    return [...this.frames]
  }

  /** Waits `ms` and returns what arrived meanwhile (and was not taken). */
  async settle (ms = 150): Promise<Frame[]> {
    await new Promise((resolve) => setTimeout(resolve, ms))
    return this.pending()
  }

  /** Logs in as `userId` on device `uuid` with a token signed for `issuer`; throws unless it succeeded. */
  async login (issuer: TokenIssuer, userId: string | number, uuid = `device-${userId}`, timeoutMs = 3000): Promise<Frame> {
    const answer = await this.request({ command: 'user_login', userId: Number(userId), token: tokenFor(issuer, userId), uuid }, timeoutMs)
    if (answer.result !== 'success') throw new Error(`login of ${userId} failed: ${JSON.stringify(answer)}`)
    return answer
  }

  close (): void {
    this.ws.close()
  }
}
