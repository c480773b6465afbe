import type { Frame, TestClient } from './client.js'

let barriers = 0

/**
 * What the client has received and not taken, up to a ping round trip: the server answers a socket's
 * commands in order, so everything it sent this socket before it answered the ping is in, however slow
 * the machine. The negative checks ("nothing arrived") stand on it instead of a fixed sleep. Frames set
 * off by another socket's command are in too once that command was answered (delivery on one node is
 * done before the answer leaves).
 */
export async function receivedSoFar (client: TestClient): Promise<Frame[]> {
  const requestId = `barrier-${++barriers}`
  client.send({ command: 'ping', requestId })
  await client.next((frame) => frame.command === 'pong' && frame.requestId === requestId)
  return client.pending()
}
