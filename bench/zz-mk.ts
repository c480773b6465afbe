import { createBenchDatabase } from './lib/database.js'
const db = await createBenchDatabase('postgres://postgres@127.0.0.1:5432/postgres')
console.log(db.databaseUrl)
