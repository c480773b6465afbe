import { after } from 'node:test'
import WebSocket from 'ws'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { TObject } from '@sinclair/typebox'
import { definitionOf } from '../../src/protocol/events.js'
import { tokenFor, type TokenIssuer } from './tokens.js'

// Frames are whatever JSON the server sent; tests reach into them freely and assert on the values.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>

/** What a test barrier sends through a node's publisher: a `pong` no ping of a socket asked for. */
export const MARKER_PREFIX = 'marker-'
const isMarker = (frame: Frame): boolean => frame.command === 'pong' && typeof frame.requestId === 'string' && frame.requestId.startsWith(MARKER_PREFIX)

const checks = new Map<TObject, TypeCheck<TObject>>()
/** Frames of any client of this file that did not match their entry in the event table. */
const violations: string[] = []

/**
 * What is wrong with a frame the server sent, measured against the event table (src/protocol/events.ts),
 * or undefined when it matches its entry: a frame the table does not know, or one that drifted from its
 * schema, fails the suite that received it.
 */
export function frameProblem (frame: Frame): string | undefined {
  const definition = definitionOf(frame)
  if (definition === undefined) return `a frame the event table does not know: ${JSON.stringify(frame).slice(0, 300)}`
  let check = checks.get(definition.schema)
  if (check === undefined) {
    check = TypeCompiler.Compile(definition.schema)
    checks.set(definition.schema, check)
  }
  if (check.Check(frame)) return undefined
  const errors = [...check.Errors(frame)].slice(0, 3).map((error) => `${error.path || '/'} ${error.message}`)
  return `${definition.name} does not match its schema (${errors.join('; ')}): ${JSON.stringify(frame).slice(0, 300)}`
}

// A frame that was received but never taken by the test is checked all the same.
after(() => {
  if (violations.length > 0) throw new Error(`frames that drifted from the protocol:\n${violations.join('\n')}`)
})

/**
 * A WebSocket client that keeps every frame it receives, presence events included, for tests to take in
 * order: a frame nobody took is seen by the negative checks (`receivedSoFar`, `pending`). Every frame is
 * checked against the event table as it arrives; taking frames from a client that received a frame
 * off its schema throws.
 */
export class TestClient {
  readonly ws: WebSocket
  private readonly frames: Frame[] = []
  /** Frames this client received that do not match the event table. */
  readonly problems: string[] = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number, reason: string }>
  /** The user of the last successful login. */
  userId: string | undefined
  /** The barrier markers this client waits for (`presenceSettled`). */
  readonly markers = new Set<string>()

  constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data, isBinary) => {
      const frame: Frame = isBinary ? { binary: data } : JSON.parse(data.toString())
      const problem = isBinary ? 'a binary frame: the server sends text frames only' : frameProblem(frame)
      if (problem !== undefined) {
        violations.push(problem)
        this.problems.push(problem)
      }
      // A barrier's marker reaches every device of a user; the devices it was not meant for never see it.
      if (isMarker(frame) && !this.markers.has(frame.requestId)) return
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
  next (match: (frame: Frame) => boolean = () => true, timeoutMs = 3000): Promise<Frame> {
    return this.take(() => {
      const index = this.frames.findIndex(match)
      return index < 0 ? undefined : this.frames.splice(index, 1)[0]
    }, timeoutMs)
  }

  /**
   * Waits up to `timeoutMs` until `find` returns something for the frames received so far. `find` looks
   * and takes in one step: several waiters of one client never take the same frame.
   */
  private async take<T> (find: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      this.assertOnProtocol()
      const found = find()
      if (found !== undefined) return found
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

  /**
   * Takes the presence event saying `userId` came online (`online`) or went offline, waiting up to
   * `timeoutMs`. Only that frame is taken: any other presence event stays for the negative checks.
   */
  presence (userId: string | number, online: boolean, timeoutMs = 3000): Promise<Frame> {
    return this.next((frame) => frame.command === 'presence' && frame.userId === String(userId) && frame.online === online, timeoutMs)
  }

  /**
   * Waits for the first frame that matches `marker` and takes it, together with the frames received
   * before it that match `drop`; returns those dropped. Frames after the marker stay.
   */
  dropBefore (marker: (frame: Frame) => boolean, drop: (frame: Frame) => boolean, timeoutMs = 3000): Promise<Frame[]> {
    return this.take(() => {
      const index = this.frames.findIndex(marker)
      if (index < 0) return undefined
      const before = this.frames.splice(0, index + 1).slice(0, index)
      this.frames.unshift(...before.filter((frame) => !drop(frame)))
      return before.filter(drop)
    }, timeoutMs)
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

  /** Throws when the server sent this client a frame that is off the event table. */
  assertOnProtocol (): void {
    if (this.problems.length > 0) throw new Error(`frame off the protocol: ${this.problems[0]}`)
  }

  /** Frames received and not yet taken. */
  pending (): Frame[] {
    this.assertOnProtocol()
    return [...this.frames]
  }

  /** Logs in as `userId` on device `uuid` with a token signed for `issuer`; throws unless it succeeded. */
  async login (issuer: TokenIssuer, userId: string | number, uuid = `device-${userId}`, timeoutMs = 3000): Promise<Frame> {
    const answer = await this.request({ command: 'user_login', userId: Number(userId), token: tokenFor(issuer, userId), uuid }, timeoutMs)
    if (answer.result !== 'success') throw new Error(`login of ${userId} failed: ${JSON.stringify(answer)}`)
    this.userId = String(userId)
    return answer
  }

  close (): void {
    this.ws.close()
  }
}
