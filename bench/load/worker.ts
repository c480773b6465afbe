/**
 * One load-generator process: holds a share of the benchmark's WebSocket clients, logs them in, sends
 * on an open-loop schedule and measures latency from the send time written into each message's content.
 * The orchestrator drives it over IPC (see ./protocol.ts).
 */
import WebSocket from 'ws'
import { loadConfig } from '../../src/config.js'
import { mintToken } from '../../src/auth/mint-token.js'
import { Histogram, now } from './histogram.js'
import type { ClientSpec, WorkerReply, WorkerRequest } from './protocol.js'

interface Client {
  spec: ClientSpec
  socket: WebSocket | undefined
  /** Resolves the answer the client is waiting for (login, sync, history). */
  waiting: ((frame: Record<string, unknown>) => void) | undefined
  /** The command of that answer. */
  expecting: string | undefined
}

let url = ''
let config = loadConfig({})
const clients: Client[] = []
const counters = { sent: 0, acked: 0, failed: 0, delivered: 0 }
let delivery = new Histogram()
let ack = new Histogram()
/** Latest arrival per message key: the time the last member had it (bigroom). */
let lastArrival = new Map<string, number>()
let trackLast = false

const USER_MESSAGE = Buffer.from('"command":"user_message"')
const RESULT = Buffer.from('"result":"')
const CONTENT = Buffer.from('"content":"')

/**
 * Chat frames are read without decoding the whole frame: a few byte searches find the result and the
 * content (`<due time>|<key>`), so the load generator keeps up with tens of thousands of frames a second.
 */
function onFrame (client: Client, data: WebSocket.RawData): void {
  const frame = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)
  if (frame.indexOf(USER_MESSAGE) === 1) {
    const result = frame.indexOf(RESULT)
    const answered = result !== -1 && result < 40
    if (answered && frame[result + RESULT.length] === 0x66) { counters.failed++; return } // "failed"
    const content = frame.indexOf(CONTENT) + CONTENT.length
    const bar = frame.indexOf(0x7c, content)
    const latency = now() - Number(frame.toString('latin1', content, bar))
    if (answered) {
      counters.acked++
      ack.record(latency)
      return
    }
    counters.delivered++
    delivery.record(latency)
    if (trackLast) {
      const key = frame.toString('latin1', bar + 1, frame.indexOf(0x22, bar))
      lastArrival.set(key, Math.max(lastArrival.get(key) ?? 0, latency))
    }
    return
  }
  const answer = JSON.parse(frame.toString()) as Record<string, unknown>
  // Events the server pushes meanwhile (presence of a room's other member, ...) are not that answer.
  if (answer.command !== client.expecting) return
  const waiting = client.waiting
  client.waiting = undefined
  waiting?.(answer)
}

/** Sends `frame` and resolves with the answer to it: the next frame of the same command that is not a chat message. */
function ask (client: Client, frame: { command: string, [field: string]: unknown }): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = client.socket
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) { reject(new Error('socket not open')); return }
    client.waiting = resolve
    client.expecting = frame.command
    socket.send(JSON.stringify(frame))
  })
}

function open (client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...(client.spec.localAddress !== undefined && { localAddress: client.spec.localAddress }) })
    client.socket = socket
    // A replaced socket's late frames and close must not reach the waiter of its successor.
    socket.on('message', (data) => { if (client.socket === socket) onFrame(client, data) })
    socket.once('open', () => resolve())
    socket.once('error', reject)
    socket.once('close', () => { if (client.socket === socket) client.waiting?.({ command: 'closed' }) })
  })
}

async function login (client: Client): Promise<void> {
  await open(client)
  const answer = await ask(client, {
    command: 'user_login',
    userId: Number(client.spec.userId),
    token: mintToken(config, client.spec.userId, '2h'),
    uuid: client.spec.uuid
  })
  if (answer.result !== 'success') throw new Error(`login of ${client.spec.userId} failed: ${JSON.stringify(answer)}`)
}

/** Runs `task` over `items` with at most `limit` in flight; counts failures instead of throwing. */
async function pool<T> (items: T[], limit: number, task: (item: T) => Promise<void>): Promise<number> {
  let next = 0
  let failed = 0
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!
      try { await task(item) } catch { failed++ }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return failed
}

/**
 * Open loop: message i is due at start + i/rate whatever happened to the earlier ones, and its content
 * carries that due time, so a slow server shows up as latency instead of as a slower sender.
 */
async function send (senders: number[], rate: number, durationMs: number, drainMs: number): Promise<void> {
  const total = Math.floor(rate * durationMs / 1000)
  const start = now()
  let index = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const current = now()
      while (index < total && start + index * 1000 / rate <= current) {
        const client = clients[senders[index % senders.length]!]!
        const due = start + index * 1000 / rate
        client.socket?.send(`{"command":"user_message","roomId":${client.spec.roomId},"messageType":"TEXT","content":"${due.toFixed(3)}|${process.pid}.${index}"}`)
        counters.sent++
        index++
      }
      if (index >= total) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  // Answers still on their way: wait for them, but not forever (a lost answer is a lost message).
  const deadline = now() + drainMs
  while (counters.acked + counters.failed < counters.sent && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
}

/** Attempts per client before it counts as failed; real clients retry too, after a short random backoff. */
const RECONNECT_ATTEMPTS = 5

async function reconnect (mode: string): Promise<{ times: number[], mode: string, failed: number, retries: number }> {
  let used = mode
  let retries = 0
  const times: number[] = []
  for (const client of clients) client.socket?.terminate()
  const start = now()
  const catchUp = async (client: Client) => {
    await login(client)
    if (used === 'sync') {
      const answer = await ask(client, { command: 'sync', since: '0' })
      if (answer.code === 'UNKNOWN_COMMAND') used = 'room_history'
      else if (answer.result !== 'success') throw new Error('sync failed')
    }
    if (used === 'room_history') {
      const answer = await ask(client, { command: 'room_history', roomId: Number(client.spec.roomId), limit: 50 })
      if (answer.code === 'UNKNOWN_COMMAND') used = 'login'
      else if (answer.result !== 'success') throw new Error('room_history failed')
    }
  }
  const failed = await pool(clients, clients.length, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await catchUp(client)
        break
      } catch (error) {
        client.socket?.terminate()
        if (attempt === RECONNECT_ATTEMPTS) throw error
        retries++
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400 * attempt))
      }
    }
    times.push(now() - start)
  })
  return { times, mode: used, failed, retries }
}

async function handle (request: WorkerRequest): Promise<WorkerReply> {
  switch (request.op) {
    case 'open': {
      url = request.url
      config = loadConfig({ JWT_SECRET: request.secret })
      const added = request.clients.map((spec): Client => ({ spec, socket: undefined, waiting: undefined, expecting: undefined }))
      clients.push(...added)
      const start = now()
      const failed = await pool(added, request.concurrency, login)
      return { op: 'open', failed, ms: now() - start }
    }
    case 'send':
      trackLast = request.trackLast
      await send(request.senders, request.rate, request.durationMs, request.drainMs)
      return { op: 'send', ...counters }
    case 'counters':
      return { op: 'counters', ...counters }
    case 'report': {
      const reply: WorkerReply = {
        op: 'report',
        ...counters,
        delivery: delivery.encode(),
        ack: ack.encode(),
        lastArrival: [...lastArrival]
      }
      counters.sent = counters.acked = counters.failed = counters.delivered = 0
      delivery = new Histogram()
      ack = new Histogram()
      lastArrival = new Map()
      return reply
    }
    case 'reconnect':
      return { op: 'reconnect', ...await reconnect(request.mode) }
    case 'close':
      for (const client of clients) client.socket?.terminate()
      clients.length = 0
      return { op: 'close' }
  }
}

// The orchestrator going away (killed, crashed) must not leave clients behind.
process.on('disconnect', () => process.exit(0))
process.on('message', (request: WorkerRequest & { id: number }) => {
  handle(request).then(
    (reply) => process.send!({ id: request.id, reply }),
    (error: unknown) => process.send!({ id: request.id, error: String(error) })
  )
})
