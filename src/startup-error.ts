/**
 * A problem the operator fixes outside the code (a setting, a busy port, a directory in use): start-up
 * reports its message alone, which names what to change, without a stack trace.
 */
export class StartupError extends Error {
  override name = 'StartupError'
}

export const isStartupError = (error: unknown): error is StartupError => error instanceof StartupError

/** Runs an entry point's start-up; a StartupError ends the process with its message on stderr and exit code 1. */
export async function explainStartupErrors<T> (start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (error) {
    if (!isStartupError(error)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}
