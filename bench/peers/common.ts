/**
 * What both baseline peers share: a plain `ws` server speaking the seed protocol (user_login,
 * user_message and its broadcast frame, the seed's failure answers), token checks with fast-jwt, and the
 * benchmark's probe. Each peer supplies how a login finds its user and how a message is handled.
 */
import '../lib/probe.js'
import { WebSocketServer, type WebSocket } from 'ws'
import { createVerifier } from 'fast-jwt'
import { Failures, type FailureCode } from '../../src/protocol/errors.js'

export interface PeerUser {
  userId: string
  fullname: string
  avatar: string | null
  primaryRole: string
  email?: string | null
  phone?: string | null
  status?: string
}

export interface PeerSocket {
  socket: WebSocket
  user: PeerUser | undefined
}

export interface PeerHandlers {
  /** The user row for a login, or undefined when there is none. */
  findUser: (userId: string) => Promise<PeerUser | undefined>
  /** Handles a logged-in user's message: answers the sender and sends the frame to the room's members. */
  message: (from: PeerSocket, request: { roomId: string, content: string, messageType: string, requestId?: string }) => Promise<void>
}

/** Logged-in sockets by user id. */
export const online = new Map<string, Set<PeerSocket>>()

export const failure = (command: string, code: FailureCode, requestId?: string) =>
  JSON.stringify({ command, result: 'failed', reason: Failures[code], code, ...(requestId !== undefined && { requestId }) })

export function startPeer (handlers: PeerHandlers): void {
  const verify = createVerifier({ key: process.env.JWT_SECRET!, algorithms: ['HS256'] })
  // The accept queue of the project's server (src/server.ts), so that a stampede compares the servers
  // and not the kernel's dropped handshakes.
  const server = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT), backlog: 4096, path: '/ws', perMessageDeflate: false })
  server.on('connection', (socket) => {
    const peer: PeerSocket = { socket, user: undefined }
    // Frames of one socket are handled one after another, as in the project: answers keep their order.
    let tail = Promise.resolve()
    socket.on('message', (data) => {
      tail = tail.then(() => handle(peer, data.toString(), handlers)).catch(() => {
        socket.send(failure('user_message', 'UNAVAILABLE'))
      })
    })
    socket.on('close', () => {
      if (peer.user !== undefined) online.get(peer.user.userId)?.delete(peer)
    })
  })

  async function handle (peer: PeerSocket, text: string, handlers: PeerHandlers): Promise<void> {
    let request: Record<string, unknown>
    try { request = JSON.parse(text) as Record<string, unknown> } catch { peer.socket.send(failure('', 'INVALID_FORMAT')); return }
    const requestId = typeof request.requestId === 'string' ? request.requestId : undefined
    const command = String(request.command)
    if (command === 'user_login') {
      let userId: string
      try { userId = String((verify(String(request.token)) as { sub: string }).sub) } catch { peer.socket.send(failure(command, 'INVALID_TOKEN', requestId)); return }
      if (userId !== String(request.userId)) { peer.socket.send(failure(command, 'INVALID_TOKEN', requestId)); return }
      const user = await handlers.findUser(userId)
      if (user === undefined) { peer.socket.send(failure(command, 'USER_NOT_FOUND', requestId)); return }
      peer.user = user
      let sockets = online.get(userId)
      if (sockets === undefined) online.set(userId, sockets = new Set())
      sockets.add(peer)
      peer.socket.send(JSON.stringify({ command, result: 'success', ...(requestId !== undefined && { requestId }), user }))
      return
    }
    if (command !== 'user_message') { peer.socket.send(failure(command, 'UNKNOWN_COMMAND', requestId)); return }
    if (peer.user === undefined) { peer.socket.send(failure(command, 'NOT_AUTHENTICATED', requestId)); return }
    if (typeof request.content !== 'string' || request.roomId === undefined) { peer.socket.send(failure(command, 'MISSING_FIELDS', requestId)); return }
    await handlers.message(peer, {
      roomId: String(request.roomId),
      content: request.content,
      messageType: String(request.messageType ?? 'TEXT'),
      ...(requestId !== undefined && { requestId })
    })
  }
}

export const senderOf = (user: PeerUser) => ({ userId: user.userId, fullname: user.fullname, avatar: user.avatar, primaryRole: user.primaryRole })

/** Sends the broadcast frame to every socket of `memberIds` but the sender's, and the acknowledgement to the sender. */
export function fanOut (from: PeerSocket, memberIds: Iterable<string>, body: object, requestId?: string): void {
  const frame = JSON.stringify({ command: 'user_message', ...body })
  for (const userId of memberIds) {
    for (const peer of online.get(userId) ?? []) if (peer !== from) peer.socket.send(frame)
  }
  from.socket.send(JSON.stringify({ command: 'user_message', result: 'success', ...(requestId !== undefined && { requestId }), ...body }))
}
