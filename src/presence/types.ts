/**
 * The presence source: which users are online anywhere, and what this node says about its own devices.
 * One node answers from its session registry (local.ts); several nodes share one store (Redis, with a
 * lease per node that expires when the node dies). Chosen with the broker in src/engines.ts.
 */

/** One logged-in device, as the source knows it. */
export interface DevicePresence {
  userId: string
  uuid: string
  /** The node holding its socket. */
  nodeId: string
  /** The room the client says is in the foreground (`room_focus`), or null. */
  focusRoomId: string | null
  /** When it logged in (ms), where the source knows it. */
  since?: number
}

export interface PresenceSource {
  /** The subset of `userIds` that has at least one logged-in device on any node. */
  online: (userIds: string[]) => Promise<Set<string>>
  /** The logged-in devices of `userId` on every node. */
  devices: (userId: string) => Promise<DevicePresence[]>
  /** A device logged in on this node (after the registry took it). */
  deviceConnected: (device: { userId: string, uuid: string }) => void
  /** A device of this node went away (after the registry forgot it). */
  deviceDisconnected: (device: { userId: string, uuid: string }) => void
  /** The device's client reported which room is in the foreground (null: none). */
  focus: (device: { userId: string, uuid: string }, roomId: string | null) => void
  /**
   * Shared sources: whether `userId`, whose first device on this node has just logged in, already had one
   * on another node (their peers know they are online). Asked once, after `deviceConnected`.
   */
  onlineElsewhere?: (userId: string) => Promise<boolean>
  /**
   * Shared sources: `listener` hears the users of a node that died without saying goodbye, once they are
   * online nowhere (the dead node cannot announce it).
   */
  onGone?: (listener: (userIds: string[]) => void) => void
  /**
   * Shared sources: the node begins a graceful shutdown and announces nobody offline (its clients
   * reconnect elsewhere); the source keeps what it needs to announce those who do not come back.
   */
  shuttingDown?: () => void
  /**
   * Shared sources: devices of this node that another node holds too and took later (a takeover whose
   * event was lost while the broker was away).
   */
  superseded?: () => Promise<Array<{ userId: string, uuid: string }>>
  /** Whether the source can answer right now (readiness). */
  healthy: () => boolean
  close: () => Promise<void>
}
