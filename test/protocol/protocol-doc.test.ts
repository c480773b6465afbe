import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { commandFailures } from '../../src/commands/dispatch.js'
import { commands } from '../../src/commands/index.js'
import { Failures, type FailureCode } from '../../src/protocol/errors.js'

const protocolPath = new URL('../../docs/protocol.md', import.meta.url)

/** Each command's section of docs/protocol.md (a heading that is just the command's name), as text. */
function sections (): Map<string, string> {
  const found = new Map<string, string>()
  let current: string | undefined
  for (const line of readFileSync(protocolPath, 'utf8').split('\n')) {
    if (line.startsWith('#')) {
      current = /^#+ `([a-z_]+)`$/.exec(line)?.[1]
      if (current !== undefined) found.set(current, '')
    } else if (current !== undefined) {
      found.set(current, `${found.get(current)!}${line}\n`)
    }
  }
  return found
}

/** The section's "- Failures…" item, its continuation lines included, on one line (as Markdown shows it). */
const failuresItem = (section: string): string => (/^- Failures.*(?:\n {2}.*)*/m.exec(section)?.[0] ?? '').replace(/\s+/g, ' ')

test('each command\'s section of docs/protocol.md names its declared failures by their exact reasons, and no failure it cannot answer', () => {
  const bySection = sections()
  for (const [name, definition] of Object.entries(commands)) {
    const section = bySection.get(name)
    assert.ok(section !== undefined, `docs/protocol.md has no section for ${name}`)
    const item = failuresItem(section)
    const missing = definition.failures.filter((code) => !item.includes(Failures[code]))
    assert.deepEqual(missing, [], `${name}: the section's Failures do not name ${missing.map((code) => `"${Failures[code]}"`).join(', ')}`)
    const possible = new Set(commandFailures(definition))
    const named = (Object.keys(Failures) as FailureCode[]).filter((code) => item.includes(Failures[code]))
    assert.deepEqual(named.filter((code) => !possible.has(code)), [], `${name}: the section names failures the command never answers`)
  }
})
