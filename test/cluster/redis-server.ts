import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../security/private-cluster.js'

export interface PrivateRedis {
  url: string
  port: number
  /** Starts the server again on the same port (after `stop`). */
  start: () => Promise<void>
  /** Stops the server at once (SIGKILL: what a crashed or unreachable Redis looks like to its clients). */
  stop: () => Promise<void>
  destroy: () => Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves once something answers PING with PONG on `port`. */
async function answersPing (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.setTimeout(1000)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

/**
 * A redis-server of the test's own on a free loopback port, never the machine's shared one: for tests
 * that stop and restart Redis. It keeps nothing on disk, as the production advice says Redis may.
 */
export async function startPrivateRedis (): Promise<PrivateRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'chat-redis-'))
  let server: ChildProcess | undefined
  const start = async () => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' })
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await answersPing(port)) return
      if (server.exitCode !== null) throw new Error(`redis-server exited with ${server.exitCode}`)
      await sleep(50)
    }
    throw new Error('redis-server did not answer within 10 s')
  }
  const stop = async () => {
    const running = server
    server = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, 'exit')
    running.kill('SIGKILL')
    await exited
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    destroy: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
