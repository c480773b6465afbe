import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The committed migrations: at the package root when running the sources (src/db → drizzle/), in dist/
 * when running the build (dist/src/db → dist/drizzle/, copied there by `npm run build`), else at the
 * package root beside dist/.
 */
export function migrationsFolder (): string {
  const candidates = ['../../drizzle', '../../../drizzle'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  const found = candidates.find((candidate) => existsSync(candidate))
  if (found === undefined) throw new Error(`migrations folder not found (looked in ${candidates.join(', ')}); run \`npm run build\` again`)
  return found
}
