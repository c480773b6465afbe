import { loadConfig } from '../config.js'
import { openDatabase } from '../db/client.js'

// Applies the committed migrations in drizzle/ (start-up does the same; this is for deploy pipelines).
const config = loadConfig()
const database = await openDatabase({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR })
await database.close()
console.log(`migrations applied (${database.kind})`)
