// `npm run build`: a fresh dist/ with the compiled server and the files it reads at run time besides its
// JavaScript (the migrations, SQL files kept next to the sources), so dist/ and node_modules/ are all
// that production needs. Run it with `npm run start:prod`.
import { execFileSync } from 'node:child_process'
import process from 'node:process'
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

rmSync('dist', { recursive: true, force: true })
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })

cpSync('drizzle', 'dist/drizzle', { recursive: true })
const copySql = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) copySql(path)
    else if (entry.name.endsWith('.sql')) cpSync(path, join('dist', path))
  }
}
for (const dir of ['src', 'plugins', 'routes']) if (existsSync(dir)) copySql(dir)
