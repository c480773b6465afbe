import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import type { TestClient, Frame } from './client.js'

/** One masked client text frame (RFC 6455 §5.2), as the `ws` client would write it. */
function maskedTextFrame (text: string): Buffer {
  const payload = Buffer.from(text, 'utf8')
  const length = payload.length
  const header = length < 126 ? Buffer.from([0x81, 0x80 | length])
    : length < 65_536 ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff])
      : (() => { const big = Buffer.alloc(10); big[0] = 0x81; big[1] = 0x80 | 127; big.writeBigUInt64BE(BigInt(length), 2); return big })()
  const mask = randomBytes(4)
  const masked = Buffer.alloc(length)
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!
  return Buffer.concat([header, mask, masked])
}

/**
 * Sends several commands in ONE write on the client's TCP socket, so the server reads them together
 * (as a client that pipelines them would send them), not one network event each.
 */
export function sendInOneWrite (client: TestClient, frames: Frame[]): void {
  const socket = (client.ws as unknown as { _socket: Socket })._socket
  socket.write(Buffer.concat(frames.map((frame) => maskedTextFrame(JSON.stringify(frame)))))
}
