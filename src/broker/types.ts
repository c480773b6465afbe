/**
 * The broker: how one node tells the nodes concerned (itself included) what their sockets must receive.
 * This file is the contract only; each engine is one file beside it (local.ts, memory-bus.ts, ...), and
 * src/engines.ts chooses one.
 *
 * Every event goes to exactly one channel: `room:<roomId>`, `user:<userId>` or `node:<nodeId>`. A node
 * subscribes to the room channels of its connected users' rooms, the user channels of its connected
 * users and its own node channel. Events are plain JSON: a networked engine serializes each one once,
 * when it is published, and every subscriber parses that same text.
 */

export type Channel = `room:${string}` | `user:${string}` | `node:${string}`

export const roomChannel = (roomId: string): Channel => `room:${roomId}`
export const userChannel = (userId: string): Channel => `user:${userId}`
export const nodeChannel = (nodeId: string): Channel => `node:${nodeId}`

/** What one node tells the others through the broker. */
export type BrokerEvent = RoomFrameEvent | UserFrameEvent | TakeoverEvent | AccountDisabledEvent | MembershipEvent

/**
 * A room's frame for the devices of `userIds` on every node (on `room:<roomId>`). The recipients were
 * computed in the transaction that stored the change, so a member removed before it is never among them.
 */
export interface RoomFrameEvent {
  type: 'room_frame'
  roomId: string
  /** Present for messages: each node hands a room's messages to its sockets in `seq` order. */
  seq?: number
  userIds: string[]
  /** The frame, already serialized: every socket gets this same text. */
  frame: string
  /**
   * The connection whose command caused the event. It gets `ack` in place of `frame` (the sender's
   * acknowledgement, in the room's `seq` order), or nothing when there is no `ack` (it has its answer).
   */
  origin?: { connectionId: string, ack?: string, slot?: number }
  /** When the server received the message (ms since the epoch): delivery latency, measured where it is delivered. */
  receivedAt?: number
}

/** A frame for every device of `userIds` (on `user:<userId>`, one event per user). */
export interface UserFrameEvent {
  type: 'user_frame'
  userIds: string[]
  frame: string
  /** A connection that already has its answer and gets nothing. */
  exceptConnection?: string
}

/** A device logged in again: the node holding (userId, uuid) on another connection closes it with 4002. */
export interface TakeoverEvent {
  type: 'takeover'
  userId: string
  uuid: string
  connectionId: string
}

/** The account was disabled: every node closes the user's devices (`account_disabled`, then 4004). */
export interface AccountDisabledEvent {
  type: 'account_disabled'
  userId: string
}

/**
 * `userId` joined or left `roomId` (on `user:<userId>`): the nodes holding that user subscribe to the
 * room's channel, or drop it when no other local user is a member.
 */
export interface MembershipEvent {
  type: 'membership'
  roomId: string
  userId: string
  joined: boolean
}

export type BrokerListener = (event: BrokerEvent, channel: Channel) => void

export interface Broker {
  /** Unique among the nodes sharing the broker; connection ids start with it. */
  readonly nodeId: string
  /**
   * True when only the channels this node subscribed to reach it (networked engines); false when every
   * event reaches every node (one process), so nobody needs to keep subscriptions.
   */
  readonly selective: boolean
  /**
   * Sends `event` to the subscribers of `channel`. It may reject (the network, the server); the caller
   * handles that where it publishes (src/broker/publisher.ts). It never rejects because a listener threw.
   */
  publish: (channel: Channel, event: BrokerEvent) => Promise<void>
  /** Resolves once events published to `channels` from then on reach this node. Idempotent. */
  subscribe: (channels: Channel[]) => Promise<void>
  unsubscribe: (channels: Channel[]) => Promise<void>
  /**
   * Listens to every event of the subscribed channels; each channel's events arrive in publish order.
   * A listener that throws is logged by the engine; the other listeners and later events go on.
   */
  onEvent: (listener: BrokerListener) => void
  /**
   * A networked engine calls `listener` when its subscriptions are back after it lost its server: what
   * was published meanwhile never reached this node.
   */
  onResume?: (listener: () => void) => void
  /** Whether the engine can publish right now (readiness), without a round trip. */
  healthy: () => boolean
  /** A networked engine's connections by role, each ready or not (metrics). */
  connectionStates?: () => Record<string, boolean>
  /** A round trip to the engine; rejects when it is unreachable. */
  ping: () => Promise<void>
  close: () => Promise<void>
}
