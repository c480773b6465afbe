// The cost of one account status check (plugins/account-status.ts) with N connected users:
// DATABASE_URL=postgres://... npx tsx bench/account-check.ts [users=15000] [rounds=20]
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../src/db/client.js'
import { inactiveUsers } from '../src/chat/users.js'

const count = Number(process.argv[2] ?? 15_000)
const rounds = Number(process.argv[3] ?? 20)
const adminUrl = process.env.DATABASE_URL
if (adminUrl === undefined) throw new Error('set DATABASE_URL')
const name = `account_check_${randomBytes(4).toString('hex')}`
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
await admin.unsafe(`CREATE DATABASE ${name}`)
const url = new URL(adminUrl)
url.pathname = `/${name}`
const database = await openDatabase({ url: url.toString(), poolMax: 2 })
try {
  // Twice as many users as are connected; one in a hundred banned.
  await database.db.execute(sql`INSERT INTO users (fullname, primary_role, status)
    SELECT 'user ' || i, 'USER', CASE WHEN i % 100 = 0 THEN 'BANNED' ELSE 'ACTIVE' END::user_status FROM generate_series(1, ${count * 2}) i`)
  await database.db.execute(sql`ANALYZE users`)
  const connected = Array.from({ length: count }, (_, i) => String(i + 1))
  const times: number[] = []
  let found = 0
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint()
    found = (await inactiveUsers(database.db, connected)).length
    times.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  console.log(JSON.stringify({ connectedUsers: count, rounds, inactiveFound: found, medianMs: +median.toFixed(2), maxMs: +times.at(-1)!.toFixed(2), minMs: +times[0]!.toFixed(2) }))
} finally {
  await database.close()
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.end()
}
