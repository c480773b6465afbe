/** What the orchestrator asks of a load-generator process, and what it answers. */
export interface ClientSpec {
  userId: string
  uuid: string
  /** The room this client sends to (and, for reconnect, reads the history of). */
  roomId: string
  /** Source address: spreads many sockets over several 127.0.0.x so no one address runs out of ports. */
  localAddress?: string
}

export interface Counters {
  sent: number
  acked: number
  failed: number
  delivered: number
}

export type WorkerRequest =
  | { op: 'open', url: string, secret: string, clients: ClientSpec[], concurrency: number }
  | { op: 'send', senders: number[], rate: number, durationMs: number, drainMs: number, trackLast: boolean }
  | { op: 'counters' }
  | { op: 'report' }
  | { op: 'reconnect', mode: 'sync' | 'room_history' | 'login' }
  | { op: 'close' }

export type WorkerReply =
  | { op: 'open', failed: number, ms: number }
  | ({ op: 'send' } & Counters)
  | ({ op: 'counters' } & Counters)
  | ({ op: 'report', delivery: string, ack: string, lastArrival: Array<[string, number]> } & Counters)
  | { op: 'reconnect', times: number[], mode: string, failed: number, retries: number }
  | { op: 'close' }
