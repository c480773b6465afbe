/**
 * What the PostgreSQL pool is doing, seen from the queries that go through it: how many hold a
 * connection, how many wait for one, and how long each waited. postgres.js keeps its queues private;
 * a query is known to have its connection when the driver sets its `state` (the backend it runs on),
 * the same field the message store's withdrawal reads. A transaction holds its connection from its
 * `begin` to its end (`hold`).
 */
export class PoolWatch {
  inUse = 0
  waiting = 0
  /** Queries that got a connection since start. */
  acquired = 0
  /** Called with the seconds each query waited for its connection. */
  onWait: (seconds: number) => void = () => {}
  readonly size: number

  constructor (size: number) {
    this.size = size
  }

  /** Follows one query of the driver from its creation to its end. */
  follow<Q extends DriverQuery> (query: Q): Q {
    this.waiting++
    const createdAt = performance.now()
    let state: unknown = null
    let settled = false
    // The driver assigns `state` once a connection takes the query (postgres.js connection.js).
    Object.defineProperty(query, 'state', {
      configurable: true,
      enumerable: true,
      get: () => state,
      set: (value: unknown) => {
        if (state === null && value !== null && !settled) {
          this.waiting--
          this.inUse++
          this.acquired++
          this.onWait((performance.now() - createdAt) / 1000)
        }
        state = value
      }
    })
    const end = () => {
      if (settled) return
      settled = true
      if (state === null) this.waiting--
      else this.inUse--
    }
    const { resolve, reject } = query
    query.resolve = (value: unknown) => { end(); return resolve(value) }
    query.reject = (error: unknown) => { end(); return reject(error) }
    return query
  }

  /**
   * Follows a transaction after its `begin` statement (which waited for the connection and was followed
   * like any statement): `run` calls `acquired` once the transaction runs on its connection, and holds
   * it until `run` settles.
   */
  async hold<T> (run: (acquired: () => void) => Promise<T>): Promise<T> {
    let holding = false
    try {
      return await run(() => {
        if (holding) return
        holding = true
        this.inUse++
      })
    } finally {
      if (holding) this.inUse--
    }
  }
}

/** The part of a postgres.js query the watch touches. */
export interface DriverQuery {
  state: unknown
  resolve: (value: unknown) => unknown
  reject: (error: unknown) => unknown
}
