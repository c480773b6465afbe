import type { Redis } from 'ioredis'
import type { RedisLog } from '../redis/connection.js'
import type { DevicePresence, PresenceSource } from './types.js'

type Device = { userId: string, uuid: string }

export interface RedisPresenceOptions {
  prefix: string
  nodeId: string
  /** How long a node's entries stay valid without a renewal. */
  leaseMs: number
  log: RedisLog
}

/** How many leases a user's keys outlive their last renewal by. */
const KEY_LEASES = 20

/** Users renewed per pipeline: a bounded amount of work and of memory per round trip. */
const RENEW_CHUNK = 1000

/**
 * Presence across nodes, in Redis. For each user, a sorted set of the nodes holding one of their devices,
 * scored by when that node's lease runs out, and a hash of their devices (uuid@node → room focus).
 * Both keys carry the user id as hash tag, so they live on one shard of a Redis Cluster.
 *
 * A live node renews the leases of its users every third of the lease; a node that dies without saying
 * goodbye stops renewing, and its users count as offline once the lease has run out (PRESENCE_LEASE_MS
 * after the last renewal at most). Each node also keeps its own lease in one sorted set and the set of its
 * users: a live node finding a lease run out tells the dead node's users' peers they went offline (within
 * a third of a lease more). Everything in Redis is rewritten by the next renewal, so Redis losing
 * its data costs at most one renewal period of wrong answers: the truth is each node's own registry.
 */
export class RedisPresence implements PresenceSource {
  /** This node's devices: user → uuid → room focus. */
  private readonly local = new Map<string, Map<string, string | null>>()
  private readonly timer: NodeJS.Timeout
  private renewing: Promise<void> | undefined
  private readonly goneListeners: Array<(userIds: string[]) => void> = []
  /** When each device of this node (`user:uuid`) logged in: of two nodes holding one device, the later wins. */
  private readonly loggedInAt = new Map<string, number>()
  /** Set when the node begins to shut down (`shuttingDown`). */
  private leaving = false
  /** Users whose first device here logged in: whether another node had one already (see `onlineElsewhere`). */
  private readonly arrivals = new Map<string, Promise<boolean>>()

  constructor (private readonly redis: Redis, private readonly options: RedisPresenceOptions) {
    this.timer = setInterval(() => {
      void this.renew().then(async () => { await this.sweep() })
    }, Math.max(100, Math.floor(options.leaseMs / 3))).unref()
    // A Redis that came back may have lost everything (it keeps nothing on disk): write it all again now
    // rather than at the next renewal, up to a third of a lease later.
    redis.on('ready', () => { if (this.local.size > 0) void this.renew() })
  }

  private onlineKey (userId: string): string { return `${this.options.prefix}online:{${userId}}` }
  private devicesKey (userId: string): string { return `${this.options.prefix}devices:{${userId}}` }
  /** Every node with its lease: a node whose lease ran out died without its goodbye. */
  private get nodesKey (): string { return `${this.options.prefix}nodes` }
  /** The users a node holds a device of: who went offline with it, if it dies. */
  private nodeUsersKey (nodeId: string): string { return `${this.options.prefix}node-users:{${nodeId}}` }
  private sweepKey (nodeId: string): string { return `${this.options.prefix}sweep:{${nodeId}}` }

  /**
   * Called with the users of a node that died without saying goodbye, once its lease has run out and they
   * have no device on any live node: nobody else will tell their peers they went offline.
   */
  onGone (listener: (userIds: string[]) => void): void {
    this.goneListeners.push(listener)
  }
  /** One field per (device, node): a takeover's old node removing its entry leaves the new node's alone. */
  private deviceField (uuid: string): string { return `${uuid}@${this.options.nodeId}` }

  /**
   * The subset of `userIds` with a device on a live node: one round trip for the lot. While Redis is
   * away the answer is this node's own devices (what it knows for sure), not an error.
   */
  async online (userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set()
    try {
      return await this.onlineAnywhere(userIds)
    } catch (error) {
      this.options.log.warn({ err: error, users: userIds.length }, 'presence unreachable: answering from this node')
      return new Set(userIds.filter((userId) => this.local.has(userId)))
    }
  }

  private async onlineAnywhere (userIds: string[]): Promise<Set<string>> {
    const result = new Set<string>()
    const now = Date.now()
    const pipeline = this.redis.pipeline()
    for (const userId of userIds) pipeline.zcount(this.onlineKey(userId), `(${now}`, '+inf')
    const answers = await pipeline.exec()
    userIds.forEach((userId, index) => {
      const [error, count] = answers?.[index] ?? [new Error('no answer'), 0]
      if (error !== null) throw error
      if (Number(count) > 0) result.add(userId)
    })
    return result
  }

  /** The devices of `userId` connected to a live node, with their room focus. */
  async devices (userId: string): Promise<DevicePresence[]> {
    return (await this.devicesOf([userId])).get(userId) ?? []
  }

  /** The devices of each of `userIds` connected to a live node: one round trip for the lot. */
  async devicesOf (userIds: string[]): Promise<Map<string, DevicePresence[]>> {
    const now = Date.now()
    const pipeline = this.redis.pipeline()
    for (const userId of userIds) {
      pipeline.zrangebyscore(this.onlineKey(userId), `(${now}`, '+inf')
      pipeline.hgetall(this.devicesKey(userId))
    }
    const answers = await pipeline.exec() ?? []
    const states = new Map<string, DevicePresence[]>()
    userIds.forEach((userId, index) => {
      const [nodesError, nodes] = answers[2 * index] ?? [new Error('no answer'), []]
      const [devicesError, devices] = answers[2 * index + 1] ?? [new Error('no answer'), {}]
      if (nodesError !== null) throw nodesError
      if (devicesError !== null) throw devicesError
      const live = new Set(nodes as string[])
      const found: DevicePresence[] = []
      for (const [field, value] of Object.entries(devices as Record<string, string>)) {
        const at = field.lastIndexOf('@')
        const node = field.slice(at + 1)
        const entry = JSON.parse(value) as { focus: string | null, since?: number }
        if (live.has(node)) found.push({ userId, uuid: field.slice(0, at), nodeId: node, focusRoomId: entry.focus, since: entry.since ?? 0 })
      }
      states.set(userId, found)
    })
    return states
  }

  deviceConnected (device: Device): void {
    this.settle(this.connected(device.userId, device.uuid), 'presence write failed')
  }

  deviceDisconnected (device: Device): void {
    this.settle(this.disconnected(device.userId, device.uuid), 'presence write failed')
  }

  focus (device: Device, roomId: string | null): void {
    this.settle(this.focused(device.userId, device.uuid, roomId), 'presence write failed')
  }

  healthy (): boolean {
    return this.redis.status === 'ready'
  }

  /**
   * A write that failed (Redis away) is not retried by itself: the next renewal rewrites everything
   * this node holds, and an entry of a device that left expires with its lease.
   */
  private settle (write: Promise<void>, message: string): void {
    write.catch((error: unknown) => { this.options.log.warn({ err: error }, message) })
  }

  /** A device logged in on this node. */
  async connected (userId: string, uuid: string): Promise<void> {
    let devices = this.local.get(userId)
    const first = devices === undefined
    if (devices === undefined) this.local.set(userId, devices = new Map())
    devices.set(uuid, null)
    this.loggedInAt.set(`${userId}:${uuid}`, Date.now())
    if (!first) {
      await this.write([userId], [[userId, uuid]])
      return
    }
    // The user's first device here: whether another live node already had one is read in the same
    // transaction as this node's entry is written, so of two nodes taking a user's devices at once exactly
    // one finds the user offline before it and announces them.
    const answer = this.write([userId], [[userId, uuid]], userId)
    this.arrivals.set(userId, answer.then((before) => before > 0, () => false))
    await answer
  }

  /**
   * Whether `userId`, whose first device on this node has just logged in, already had a device on another
   * live node: their peers were told they are online and need not hear it again. Asked once per arrival.
   */
  async onlineElsewhere (userId: string): Promise<boolean> {
    const answer = this.arrivals.get(userId)
    this.arrivals.delete(userId)
    return await (answer ?? Promise.resolve(false))
  }

  /** A device left this node (closed, replaced, logged out). */
  async disconnected (userId: string, uuid: string): Promise<void> {
    const devices = this.local.get(userId)
    if (devices?.delete(uuid) !== true) return
    this.loggedInAt.delete(`${userId}:${uuid}`)
    const pipeline = this.redis.pipeline()
    pipeline.hdel(this.devicesKey(userId), this.deviceField(uuid))
    if (devices.size === 0) {
      this.local.delete(userId)
      this.arrivals.delete(userId)
      pipeline.zrem(this.onlineKey(userId), this.options.nodeId)
      // While the node shuts down its users stay listed: those who do not come back elsewhere are
      // announced offline by the node that sweeps this one.
      if (!this.leaving) pipeline.srem(this.nodeUsersKey(this.options.nodeId), userId)
    }
    await this.exec(pipeline)
  }

  /** The room a device shows in the foreground changed (null: none). */
  async focused (userId: string, uuid: string, roomId: string | null): Promise<void> {
    const devices = this.local.get(userId)
    if (devices?.has(uuid) !== true) return
    devices.set(uuid, roomId)
    await this.write([], [[userId, uuid]])
  }

  /** Rewrites every entry of this node with a fresh lease; runs by itself every third of the lease. */
  async renew (): Promise<void> {
    if (this.renewing !== undefined) return await this.renewing
    this.renewing = (async () => {
      const users = [...this.local.keys()]
      for (let start = 0; start < users.length; start += RENEW_CHUNK) {
        const chunk = users.slice(start, start + RENEW_CHUNK)
        await this.write(chunk, chunk.flatMap((userId) => [...this.local.get(userId)?.keys() ?? []].map((uuid): [string, string] => [userId, uuid])))
      }
    })().catch((error: unknown) => {
      this.options.log.warn({ err: error }, 'presence renewal failed')
    }).finally(() => { this.renewing = undefined })
    return await this.renewing
  }

  /**
   * This node's devices that another live node holds too, logged in there later: a takeover whose event
   * never arrived (Redis was away when it was published). Read from what the nodes wrote since Redis came back.
   */
  async superseded (): Promise<Array<{ userId: string, uuid: string }>> {
    const found: Array<{ userId: string, uuid: string }> = []
    const users = [...this.local.keys()]
    for (let start = 0; start < users.length; start += RENEW_CHUNK) {
      for (const [userId, devices] of await this.devicesOf(users.slice(start, start + RENEW_CHUNK))) {
        for (const device of devices) {
          const mine = this.loggedInAt.get(`${userId}:${device.uuid}`)
          if (device.nodeId !== this.options.nodeId && mine !== undefined && (device.since ?? 0) > mine) found.push({ userId, uuid: device.uuid })
        }
      }
    }
    return found
  }

  /** The node begins to shut down: its devices leave, but its list of users stays for the sweep. */
  shuttingDown (): void {
    this.leaving = true
  }

  /**
   * Looks for nodes whose lease ran out (they died without their goodbye). One live node claims each
   * (SET NX), tells its listeners which of the dead node's users are online nowhere else, and forgets it.
   */
  async sweep (): Promise<void> {
    try {
      const dead = await this.redis.zrangebyscore(this.nodesKey, '-inf', `(${Date.now()}`)
      for (const nodeId of dead) {
        if (nodeId === this.options.nodeId) continue
        const claimed = await this.redis.set(this.sweepKey(nodeId), this.options.nodeId, 'PX', this.options.leaseMs, 'NX')
        if (claimed !== 'OK') continue
        const users = await this.redis.smembers(this.nodeUsersKey(nodeId))
        const online = users.length > 0 ? await this.onlineAnywhere(users) : new Set<string>()
        const gone = users.filter((userId) => !online.has(userId) && !this.local.has(userId))
        await this.exec(this.redis.pipeline().del(this.nodeUsersKey(nodeId)).zrem(this.nodesKey, nodeId))
        this.options.log.info({ nodeId, users: users.length, offline: gone.length }, 'a node died without its goodbye: its users are offline')
        if (gone.length > 0) for (const listener of this.goneListeners) listener(gone)
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'presence sweep failed')
    }
  }

  /** This node says goodbye: its users are no longer online through it. */
  async close (): Promise<void> {
    clearInterval(this.timer)
    // The node's lease and its list of users stay: users who do not come back on another node within the
    // lease are announced offline by the live node that sweeps this one.
    const pipeline = this.redis.pipeline()
    for (const [userId, devices] of this.local) {
      pipeline.zrem(this.onlineKey(userId), this.options.nodeId)
      for (const uuid of devices.keys()) pipeline.hdel(this.devicesKey(userId), this.deviceField(uuid))
    }
    this.local.clear()
    await this.exec(pipeline).catch((error: unknown) => { this.options.log.warn({ err: error }, 'presence goodbye failed') })
    this.redis.disconnect()
  }

  /**
   * Leases for `users` (this node holds a device of each) and the entries of `devices`. With `ask`, in
   * one transaction that first counts the live nodes holding a device of that user; resolves that count.
   */
  private async write (users: string[], devices: Array<[string, string]>, ask?: string): Promise<number> {
    const { leaseMs, nodeId } = this.options
    const now = Date.now()
    const expiresAt = now + leaseMs
    const pipeline = ask === undefined ? this.redis.pipeline() : this.redis.multi()
    if (ask !== undefined) pipeline.zcount(this.onlineKey(ask), `(${now}`, '+inf')
    if (users.length > 0) {
      pipeline.zadd(this.nodesKey, expiresAt, nodeId)
      pipeline.sadd(this.nodeUsersKey(nodeId), ...users)
      pipeline.pexpire(this.nodeUsersKey(nodeId), KEY_LEASES * leaseMs)
    }
    for (const userId of users) {
      pipeline.zadd(this.onlineKey(userId), expiresAt, nodeId)
      // The keys only collect garbage: a user nobody renews leaves no key behind for long. Online is the
      // lease's score, never the key's existence.
      pipeline.pexpire(this.onlineKey(userId), KEY_LEASES * leaseMs)
    }
    for (const [userId, uuid] of devices) {
      const focus = this.local.get(userId)?.get(uuid)
      if (focus === undefined) continue
      pipeline.hset(this.devicesKey(userId), this.deviceField(uuid), JSON.stringify({ focus, since: this.loggedInAt.get(`${userId}:${uuid}`) ?? 0 }))
      pipeline.pexpire(this.devicesKey(userId), KEY_LEASES * leaseMs)
    }
    const answers = await this.exec(pipeline)
    return ask === undefined ? 0 : Number(answers[0]?.[1] ?? 0)
  }

  private async exec (pipeline: ReturnType<Redis['pipeline']>): Promise<Array<[Error | null, unknown]>> {
    const answers = await pipeline.exec() ?? []
    const failed = answers.find(([error]) => error !== null)
    if (failed !== undefined) throw failed[0]
    return answers
  }
}
