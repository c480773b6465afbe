import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'
import { StartupError } from '../config.js'

/**
 * The file that says which process has a PGlite data directory open: `<dir>.lock`, beside the directory
 * rather than inside it, because PGlite's initdb refuses a directory that is not empty, so a lock inside
 * could not be taken before the first start creates the database.
 */
export const lockFileOf = (dir: string): string => `${resolve(dir)}.lock`

/**
 * PGlite is a database inside the process: two processes on one directory each keep their own copy in
 * memory and overwrite each other's files, so what one of them acknowledged is lost. The directory is
 * taken with a lock file holding the PID, created exclusively; a lock whose process is gone (a crash,
 * SIGKILL) is stale and taken over. Returns the release.
 */
export function lockPgliteDir (dir: string): () => void {
  const path = lockFileOf(dir)
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error
    }
    const holder = holderOf(path)
    if (holder !== undefined && isAlive(holder)) {
      throw new StartupError(`PGLITE_DIR ${dir} is in use by process ${holder}${holder === process.pid ? ' (this one)' : ''}: ` +
        'the embedded database serves one process at a time. Stop the other server (or `npm run seed`) first, ' +
        `or set PGLITE_DIR to another directory, or DATABASE_URL for PostgreSQL. If no such process is yours, delete ${path}.`)
    }
    // Stale: the holder is gone. Removing it and creating ours again stays exclusive against a rival doing the same.
    unlinkSync(path)
  }
  let released = false
  const release = () => {
    if (released) return
    released = true
    process.removeListener('exit', release)
    // Only our own lock: a rival that found ours stale (it cannot be while we run) must not lose its own.
    if (holderOf(path) === process.pid) unlinkSync(path)
  }
  // An exit without close (an uncaught error) releases it too; SIGKILL leaves it stale, which is detected.
  process.on('exit', release)
  return release
}

function holderOf (path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
