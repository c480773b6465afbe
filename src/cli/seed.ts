import { loadConfig } from '../config.js'
import { openDatabase } from '../db/client.js'
import { seedDemoData } from '../chat/demo.js'

// Writes the demo data (idempotent). On PGlite it needs the data directory to itself: stop the server first.
const config = loadConfig()
if (config.NODE_ENV === 'production') {
  console.error('refusing to write demo data with NODE_ENV=production')
  process.exit(1)
}
const database = await openDatabase({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR })
try {
  await seedDemoData(database.db)
  console.log(`demo data written to ${database.kind === 'pglite' ? config.PGLITE_DIR : 'PostgreSQL'}`)
} finally {
  await database.close()
}
