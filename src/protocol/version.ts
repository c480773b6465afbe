import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The server's version, as the protocol documents (AsyncAPI, OpenAPI) carry it: package.json's, read from
 * the sources (src/protocol → the root) or from a build (dist/src/protocol → beside dist/).
 */
function packageVersion (): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    const path = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
  }
  return '0.0.0'
}

export const SERVER_VERSION = packageVersion()
