import { loadConfig } from '../config.js'
import { mintToken } from '../auth/mint-token.js'

// Usage: npm run --silent token -- <userId> [--expires-in 1h]
const args = process.argv.slice(2)
const userId = args.find((arg, index) => /^[0-9]+$/.test(arg) && args[index - 1] !== '--expires-in')
const flag = args.indexOf('--expires-in')
const expiresIn = flag >= 0 ? args[flag + 1] : '1h'
if (userId === undefined || expiresIn === undefined) {
  console.error('usage: npm run --silent token -- <userId> [--expires-in 1h]')
  process.exit(2)
}
process.stdout.write(`${mintToken(loadConfig(), userId, /^[0-9]+$/.test(expiresIn) ? Number(expiresIn) * 1000 : expiresIn)}\n`)
