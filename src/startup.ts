import { createServer } from 'node:net'
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

/**
 * Fails with a StartupError when PORT cannot be listened on, before the migrations run and the database
 * is opened: a busy port is the operator's to fix, not an uncaught error after a minute of start-up.
 */
export async function checkPortFree (port: number, host: string): Promise<void> {
  if (port === 0) return
  const probe = createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new StartupError(`PORT ${port} is already in use on ${host} (another server?): stop it, or set PORT to a free port`))
      else if (error.code === 'EACCES') reject(new StartupError(`PORT ${port} needs privileges this process does not have on ${host}: set PORT to 1024 or above (and let the proxy listen on ${port})`))
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new StartupError(`HOST ${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all`))
      else reject(error)
    })
    probe.listen({ port, host, exclusive: true }, () => { probe.close(() => resolve()) })
  })
}
