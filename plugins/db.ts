import fp from 'fastify-plugin'
import { openDatabase, type Database, type Db } from '../src/db/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    database: Database
  }
}

export interface DbPluginOptions {
  /** An already open database that the caller owns (tests, several app instances on one database). */
  database?: Database
}

export default fp<DbPluginOptions>(async (app, opts) => {
  const { config } = app
  const owned = opts.database === undefined
  const database = opts.database ?? await openDatabase({
    url: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR,
    poolMax: config.DB_POOL_MAX,
    watchPool: config.METRICS === 'on'
  })
  app.log.info({ kind: database.kind }, 'database ready')
  app.decorate('database', database)
  app.decorate('db', database.db)
  if (owned) app.addHook('onClose', async () => { await database.close() })
}, { name: 'db', dependencies: ['config'] })
