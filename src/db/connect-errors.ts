import { StartupError } from '../config.js'

/** The URL without its password, for messages. */
const shown = (url: URL) => `${url.protocol}//${url.username === '' ? '' : `${url.username}@`}${url.host}${url.pathname}`

/**
 * The first failure of a PostgreSQL connection at start-up, said as what it means for DATABASE_URL,
 * or undefined when it is not about reaching the database (a real error, kept as it is). drizzle wraps
 * the driver's error ("Failed query: CREATE SCHEMA …"), so the real cause is looked for along the chain.
 */
export function explainConnectionError (error: unknown, urlText: string): StartupError | undefined {
  const url = new URL(urlText)
  const host = `${url.hostname}:${url.port === '' ? '5432' : url.port}`
  const database = decodeURIComponent(url.pathname.slice(1)) || url.username || 'postgres'
  const role = decodeURIComponent(url.username) || 'the current user'
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown, message?: unknown }
    const said = (text: string) => new StartupError(`DATABASE_URL ${shown(url)}: ${text}`, { cause: error })
    switch (code) {
      case 'ECONNREFUSED': return said(`connection refused by ${host}: is PostgreSQL running there and listening on that port?`)
      case 'ENOTFOUND': case 'EAI_AGAIN': return said(`the host ${url.hostname} is not known: check the host name`)
      case 'ETIMEDOUT': case 'CONNECT_TIMEOUT': case 'EHOSTUNREACH': return said(`no answer from ${host}: check the host, the port and the firewall`)
      case '3D000': return said(`database "${database}" does not exist: create it (createdb ${database}) or fix the database name at the end of the URL`)
      case '28000': return said(`${typeof message === 'string' ? message : `role "${role}" is not allowed`}: check the user name, or create the role (createuser ${role})`)
      case '28P01': return said(`password authentication failed for role "${role}": check the user name and the password`)
      case '42501': return said(`role "${role}" may not create the tables in database "${database}": grant it CREATE there, or run the migrations as the owner`)
      case '53300': return said('the server has no connection slot left (too many clients): raise max_connections or lower DB_POOL_MAX')
    }
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
