import { PGlite, protocol, type ExecProtocolOptions } from '@electric-sql/pglite'

type BackendMessage = Parameters<Parameters<protocol.Parser['parse']>[1]>[0]

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * PGlite as the app uses it, but with text coming back exactly as stored.
 *
 * PGlite's protocol reader decodes each value with `new TextDecoder('utf-8')`, which takes a leading U+FEFF
 * for a byte order mark and drops it: a message that starts with one was stored right and answered without
 * it (the newest release, 0.5.17, still does). Its queries all pass through `execProtocolStream`; here
 * that runs as `execProtocol`, which keeps the raw answer beside PGlite's own reading of it (errors,
 * notices and notifications are handled there as before). An answer whose bytes hold a U+FEFF is read
 * again by a reader whose decoder keeps the mark; the others cost one byte scan (no measurable difference
 * per query). test/chat/text-bytes.test.ts fails if this stops working.
 */
export class TextKeepingPGlite extends PGlite {
  private reader = bomKeepingParser()

  override async execProtocolStream (message: Uint8Array, options: ExecProtocolOptions = {}): Promise<BackendMessage[]> {
    const { messages: read, data } = await this.execProtocol(message, options)
    // Most answers hold no U+FEFF at all (its UTF-8 bytes are EF BB BF): PGlite's own reading stands.
    if (Buffer.from(data.buffer, data.byteOffset, data.byteLength).indexOf(BOM) < 0) return read
    const messages: BackendMessage[] = []
    try {
      this.reader.parse(data, (received) => { messages.push(received) })
    } catch (error) {
      // A reader that failed halfway may hold part of a message: the next answer gets a fresh one.
      this.reader = bomKeepingParser()
      throw error
    }
    return messages
  }
}

/**
 * A protocol reader whose decoder keeps a leading U+FEFF. The reader builds its decoder from the global
 * `TextDecoder` when it is constructed, so that one synchronous construction sees a variant with
 * `ignoreBOM: true`; the global is restored before anything else can run.
 */
function bomKeepingParser (): protocol.Parser {
  const Plain = globalThis.TextDecoder
  globalThis.TextDecoder = class extends Plain {
    constructor (...[label, options]: ConstructorParameters<typeof Plain>) { super(label, { ...options, ignoreBOM: true }) }
  }
  try {
    return new protocol.Parser()
  } finally {
    globalThis.TextDecoder = Plain
  }
}
