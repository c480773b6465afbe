import type { Db } from './client.js'

/**
 * Runs `build` once per database and hands back its result from then on: for hot queries prepared with
 * placeholders. Building their SQL on every call took a fifth of the server's CPU in a login stampede,
 * and a prepared statement is parsed and described by PostgreSQL once per connection rather than on
 * every call. Only for the app's database: a transaction is not a place to keep one.
 */
export function perDatabase<T> (build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>()
  return (db) => {
    let value = built.get(db)
    if (value === undefined) {
      value = build(db)
      built.set(db, value)
    }
    return value
  }
}
