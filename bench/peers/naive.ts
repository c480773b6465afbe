/**
 * Baseline peer "naive": plain `ws` + postgres.js (PGlite without DATABASE_URL), written the obvious
 * way: membership queried for every message, one transaction per message (insert + room update),
 * no batching, no caching. What a first straightforward implementation measures.
 */
import { fanOut, failure, senderOf, startPeer, type PeerUser } from './common.js'

type Query = (text: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>
interface Sql { query: Query, transaction: <T>(work: (query: Query) => Promise<T>) => Promise<T> }

async function connect (): Promise<Sql> {
  const url = process.env.DATABASE_URL
  if (url !== undefined && url !== '') {
    const { default: postgres } = await import('postgres')
    const sql = postgres(url, { max: 10, onnotice: () => {} })
    const on = (runner: typeof sql): Query => (text, params = []) => runner.unsafe(text, params as never[]) as unknown as Promise<Array<Record<string, unknown>>>
    return { query: on(sql), transaction: (work) => sql.begin((tx) => work(on(tx as unknown as typeof sql))) as Promise<never> }
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const client = new PGlite(process.env.PGLITE_DIR)
  await client.waitReady
  type Runner = Pick<typeof client, 'query'>
  const on = (runner: Runner): Query => async (text, params = []) => (await runner.query<Record<string, unknown>>(text, params)).rows
  return { query: on(client), transaction: (work) => client.transaction((tx) => work(on(tx))) }
}

const sql = await connect()

startPeer({
  findUser: async (userId) => {
    const [row] = await sql.query('SELECT id, fullname, email, phone, avatar, primary_role, status FROM users WHERE id = $1', [userId])
    if (row === undefined) return undefined
    return {
      userId: String(row.id),
      fullname: String(row.fullname),
      email: row.email as string | null,
      phone: row.phone as string | null,
      avatar: row.avatar as string | null,
      primaryRole: String(row.primary_role),
      status: String(row.status)
    } satisfies PeerUser
  },
  message: async (from, request) => {
    const user = from.user!
    const memberRows = await sql.query('SELECT user_id FROM members WHERE room_id = $1 AND left_at IS NULL', [request.roomId])
    const memberIds = memberRows.map((row) => String(row.user_id))
    if (!memberIds.includes(user.userId)) {
      from.socket.send(failure('user_message', 'NOT_A_MEMBER', request.requestId))
      return
    }
    const stored = await sql.transaction(async (query) => {
      const [room] = await query('UPDATE chat_rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq, listing_id, title', [request.roomId])
      const [row] = await query(
        'INSERT INTO messages (room_id, seq, sender_id, content, message_type) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at, change_seq',
        [request.roomId, room!.last_seq, user.userId, request.content, request.messageType])
      await query('UPDATE chat_rooms SET last_message_id = $1, last_message_at = $2 WHERE id = $3', [row!.id, row!.created_at, request.roomId])
      return { room: room!, row: row! }
    })
    const message = {
      messageId: String(stored.row.id),
      content: request.content,
      roomId: request.roomId,
      messageType: request.messageType,
      media: null,
      createdAt: new Date(stored.row.created_at as string).toISOString(),
      sender: senderOf(user),
      seq: Number(stored.room.last_seq)
    }
    const room = { roomId: request.roomId, listingId: stored.room.listing_id === null ? null : String(stored.room.listing_id), title: stored.room.title as string | null }
    fanOut(from, memberIds, { message, room, syncToken: String(stored.row.change_seq) }, request.requestId)
  }
})
