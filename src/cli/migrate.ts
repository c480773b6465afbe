import { loadConfig } from '../config.js'
import { openDatabase } from '../db/client.js'
import { explainStartupErrors } from '../startup.js'

// Applies the committed migrations in drizzle/ (start-up does the same; this is for deploy pipelines).
const config = await explainStartupErrors(async () => loadConfig())
const database = await explainStartupErrors(() => openDatabase({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR }))
await database.close()
console.log(`migrations applied (${database.kind})`)
