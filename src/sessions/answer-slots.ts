/**
 * Answers of one socket that leave in the order their commands arrived, whoever hands them over: a
 * message's acknowledgement comes back through the broker and the node (in the room's `seq` order), a
 * retry's or a failure's answer straight from the store. Each command takes a slot when it starts; a
 * slot's answer goes out once every earlier slot's has.
 */
export class AnswerSlots {
  private taken = 0
  private sent = 0
  private readonly ready = new Map<number, string>()
  private readonly waiters = new Map<number, () => void>()
  private readonly send: (frame: string) => void

  constructor (send: (frame: string) => void) {
    this.send = send
  }

  take (): number {
    return this.taken++
  }

  /** The answer of `slot`; a slot answered already keeps its first answer (a late copy is dropped). */
  fill (slot: number, frame: string): void {
    if (slot < this.sent || slot >= this.taken || this.ready.has(slot)) return
    this.ready.set(slot, frame)
    for (let next = this.ready.get(this.sent); next !== undefined; next = this.ready.get(this.sent)) {
      this.ready.delete(this.sent)
      this.send(next)
      this.waiters.get(this.sent)?.()
      this.waiters.delete(this.sent)
      this.sent++
    }
  }

  /** True once the answer of `slot` has gone out (every earlier one has too). */
  isSent (slot: number): boolean {
    return slot < this.sent
  }

  isAnswered (slot: number): boolean {
    return slot < this.sent || this.ready.has(slot)
  }

  /** Resolves once the answer of `slot` has gone out. */
  answered (slot: number): Promise<void> {
    if (slot < this.sent) return Promise.resolve()
    return new Promise((resolve) => {
      const earlier = this.waiters.get(slot)
      this.waiters.set(slot, earlier === undefined ? resolve : () => { earlier(); resolve() })
    })
  }

  /** Slots taken and not answered yet. */
  get open (): number {
    return this.taken - this.sent
  }
}
