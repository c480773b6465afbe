import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { asyncApiText } from '../commands/asyncapi.js'

// `npm run asyncapi`: writes the committed copy of the AsyncAPI document (a test fails when it drifts).
const target = fileURLToPath(new URL('../../docs/asyncapi.json', import.meta.url))
writeFileSync(target, asyncApiText())
process.stdout.write('wrote docs/asyncapi.json\n')
