import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ClientSpec, Counters, WorkerReply, WorkerRequest } from '../load/protocol.js'

const WORKER = fileURLToPath(new URL('../load/worker.ts', import.meta.url))

type ReplyOf<O extends WorkerRequest['op']> = Extract<WorkerReply, { op: O }>

/** A load-generator process, driven over IPC. */
class Worker {
  private readonly child: ChildProcess
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void, reject: (error: Error) => void }>()

  constructor () {
    this.child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.on('message', (message: { id: number, reply?: WorkerReply, error?: string }) => {
      const waiter = this.pending.get(message.id)
      this.pending.delete(message.id)
      if (message.error !== undefined) waiter?.reject(new Error(message.error))
      else waiter?.resolve(message.reply!)
    })
    this.child.on('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('load generator exited'))
      this.pending.clear()
    })
  }

  request<R extends WorkerRequest> (request: R): Promise<ReplyOf<R['op']>> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: WorkerReply) => void, reject })
      this.child.send({ ...request, id })
    })
  }

  kill (): void {
    this.child.kill()
  }
}

export const sum = (counters: Counters[]): Counters => counters.reduce((total, c) => ({
  sent: total.sent + c.sent,
  acked: total.acked + c.acked,
  failed: total.failed + c.failed,
  delivered: total.delivered + c.delivered
}), { sent: 0, acked: 0, failed: 0, delivered: 0 })

/** Several load-generator processes; client i of a scenario lives in the process `assign` picks. */
export class Fleet {
  readonly workers: Worker[]

  constructor (size: number) {
    this.workers = Array.from({ length: size }, () => new Worker())
  }

  /** Opens and logs in every process's share of clients; returns the failures and the slowest process's time. */
  async open (url: string, secret: string, shares: ClientSpec[][], concurrency = 100): Promise<{ failed: number, ms: number }> {
    const replies = await Promise.all(this.workers.map((worker, index) =>
      worker.request({ op: 'open', url, secret, clients: shares[index] ?? [], concurrency })))
    return { failed: replies.reduce((n, r) => n + r.failed, 0), ms: Math.max(...replies.map((r) => r.ms)) }
  }

  all<R extends WorkerRequest> (request: R | ((index: number) => R)): Promise<Array<ReplyOf<R['op']>>> {
    return Promise.all(this.workers.map((worker, index) =>
      worker.request(typeof request === 'function' ? request(index) : request)))
  }

  /**
   * Waits until every expected delivery arrived, or until nothing moved for `quietMs` (what is missing
   * then is lost), then reports and resets every process.
   */
  async settle (expected: (counters: Counters) => number, quietMs = 3000, maxMs = 60_000) {
    const start = Date.now()
    let last = -1
    let lastMove = Date.now()
    for (;;) {
      const counters = sum(await this.all({ op: 'counters' }))
      if (counters.delivered >= expected(counters)) break
      if (counters.delivered !== last) { last = counters.delivered; lastMove = Date.now() }
      if (Date.now() - lastMove > quietMs || Date.now() - start > maxMs) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return this.all({ op: 'report' })
  }

  async close (): Promise<void> {
    await this.all({ op: 'close' })
    for (const worker of this.workers) worker.kill()
  }
}

/** Deals `items` out to `size` processes, keeping runs of `group` together (a room's members). */
export function deal<T> (items: T[], size: number, group = 1): T[][] {
  const shares: T[][] = Array.from({ length: size }, () => [])
  for (let index = 0; index < items.length; index++) shares[Math.floor(index / group) % size]!.push(items[index]!)
  return shares
}
