import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The database functions the app calls live as one readable file each in src/db/functions/ (named after
 * the function), and that file is their only source: a change to one is a diff of it, not a new
 * migration repeating its whole text. Start-up applies each file after the migrations, in a transaction
 * that holds an advisory lock, and only when the hash of the file differs from the one recorded in the
 * installed function's comment: several nodes starting together apply it once, one after the other,
 * and a restart with nothing changed takes no catalog lock.
 */

/** The advisory lock held while functions are compared and replaced (any constant unused elsewhere). */
const FUNCTIONS_LOCK = 7_346_201_019

/** A connection inside a transaction, as each driver provides it. */
export interface ScriptConnection {
  query: (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>
  /** Runs several statements without parameters. */
  exec: (script: string) => Promise<void>
}
export type InTransaction = <T>(work: (connection: ScriptConnection) => Promise<T>) => Promise<T>

export interface FunctionSource {
  name: string
  script: string
  hash: string
}

/** The function files, next to the sources or, from a build in dist/, in the source tree beside it. */
function functionsFolder (): string {
  for (const relative of ['./functions/', '../../../src/db/functions/']) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(candidate)) return candidate
  }
  throw new Error('src/db/functions/ not found')
}

export function functionSources (folder = functionsFolder()): FunctionSource[] {
  return readdirSync(folder).filter((file) => file.endsWith('.sql')).sort().map((file) => {
    const script = readFileSync(`${folder}/${file}`, 'utf8')
    return { name: file.slice(0, -'.sql'.length), script, hash: `sha256:${createHash('sha256').update(script).digest('hex')}` }
  })
}

/** Applies every function file whose hash differs from the installed one; answers the names it applied. */
export async function installFunctions (inTransaction: InTransaction, sources = functionSources()): Promise<string[]> {
  return inTransaction(async (connection) => {
    await connection.query('SELECT pg_advisory_xact_lock($1)', [FUNCTIONS_LOCK])
    const applied: string[] = []
    for (const source of sources) {
      if (await installedHash(connection, source.name) === source.hash) continue
      await connection.exec(source.script)
      const rows = await connection.query(
        'SELECT p.oid::regprocedure::text AS signature FROM pg_proc p WHERE p.proname = $1 AND p.pronamespace = current_schema()::regnamespace',
        [source.name])
      if (rows.length !== 1) {
        throw new Error(`src/db/functions/${source.name}.sql leaves ${rows.length} functions named ${source.name}: it must leave exactly one (drop an old signature)`)
      }
      // The signature comes from the catalog and the hash is hex: nothing here is text from outside.
      await connection.exec(`COMMENT ON FUNCTION ${String(rows[0]!.signature)} IS '${source.hash}'`)
      applied.push(source.name)
    }
    return applied
  })
}

/** The hash recorded on the installed function, if there is one. */
export async function installedHash (connection: Pick<ScriptConnection, 'query'>, name: string): Promise<string | undefined> {
  const [row] = await connection.query(
    "SELECT obj_description(p.oid, 'pg_proc') AS comment FROM pg_proc p WHERE p.proname = $1 AND p.pronamespace = current_schema()::regnamespace",
    [name])
  return typeof row?.comment === 'string' ? row.comment : undefined
}
