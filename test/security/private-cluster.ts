import { execFileSync } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A free TCP port on loopback. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface PrivateCluster {
  url: string
  start: () => void
  stop: () => void
  destroy: () => void
}

/**
 * A throw-away PostgreSQL cluster of its own (never the machine's shared one), for tests that stop and
 * restart the server: initdb into a temporary directory, listening on a free loopback port.
 */
export async function createPrivateCluster (): Promise<PrivateCluster> {
  const root = '/usr/lib/postgresql'
  const version = readdirSync(root).sort((a, b) => Number(a) - Number(b)).at(-1)!
  const bin = join(root, version, 'bin')
  const dir = mkdtempSync(join(tmpdir(), 'chat-pg-'))
  // PostgreSQL refuses to run as root: the cluster belongs to the postgres account when we are root.
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString())
    chownSync(dir, uid, gid)
  }
  const run = (program: string, args: string[]) => {
    const [command, commandArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args]
    execFileSync(command, commandArgs, { stdio: 'ignore' })
  }
  const port = await freePort()
  run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync'])
  let running = false
  const cluster: PrivateCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => {
      run('pg_ctl', ['-D', join(dir, 'data'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start'])
      running = true
    },
    stop: () => {
      run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop'])
      running = false
    },
    destroy: () => {
      try { if (running) cluster.stop() } finally { rmSync(dir, { recursive: true, force: true }) }
    }
  }
  cluster.start()
  return cluster
}
