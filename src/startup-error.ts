import { StartupError } from './config.js'

/** Runs an entry point's start-up; a StartupError ends the process with its message on stderr and exit code 1. */
export async function explainStartupErrors<T> (start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (error) {
    if (!(error instanceof StartupError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}
