/**
 * Sorts database errors into "the database is unreachable or overloaded, try again" and the rest.
 * Query errors come wrapped by drizzle (`cause`), so the whole chain is inspected.
 */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'DB_POOL_TIMEOUT'
])

/** SQLSTATE classes and codes meaning the server cannot serve now (not that the query is wrong). */
const isTransientSqlState = (code: string) =>
  code.startsWith('08') || // connection exception
  code.startsWith('53') || // insufficient resources (too many connections, out of memory, disk full)
  code.startsWith('57P') || // operator intervention: admin shutdown, crash shutdown, cannot connect now
  code === '40001' || code === '40P01' || // serialization failure, deadlock: retrying succeeds
  code === '55P03' // lock not available

export function isTransientDbError (error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown, message?: unknown }
    if (typeof code === 'string' && (TRANSIENT_NODE_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isTransientSqlState(code)))) {
      return true
    }
    if (typeof message === 'string' && /PGlite is closed|Connection terminated|write after end/i.test(message)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
export function sqlState (error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const { code } = current as { code?: unknown }
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
