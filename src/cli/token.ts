import { loadConfig } from '../config.js'
import { mintToken } from '../auth/mint-token.js'
import { explainStartupErrors } from '../startup.js'

// Usage: npm run --silent token -- <userId> [--expires-in 1h]
const USAGE = 'usage: npm run --silent token -- <userId> [--expires-in 1h]'
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** A lifetime in seconds from "90", "90s", "30m", "2h" or "7d"; undefined for anything else. */
function lifetimeSeconds (text: string): number | undefined {
  const match = /^([0-9]+)([smhd]?)$/.exec(text)
  if (match === null) return undefined
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's']!
  return seconds > 0 && Number.isSafeInteger(seconds * 1000) ? seconds : undefined
}

const args = process.argv.slice(2)
const userId = args.find((arg, index) => /^[0-9]+$/.test(arg) && args[index - 1] !== '--expires-in')
const flag = args.indexOf('--expires-in')
const expiresIn = flag >= 0 ? args[flag + 1] : '1h'
if (userId === undefined || expiresIn === undefined) {
  console.error(USAGE)
  process.exit(2)
}
const seconds = lifetimeSeconds(expiresIn)
if (seconds === undefined) {
  console.error(`--expires-in must be a positive number of seconds or a number with s, m, h or d (90, 90s, 30m, 2h, 7d); got ${JSON.stringify(expiresIn)}\n${USAGE}`)
  process.exit(2)
}
const config = await explainStartupErrors(async () => loadConfig())
process.stdout.write(`${mintToken(config, userId, seconds * 1000)}\n`)
