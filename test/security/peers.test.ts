import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { build, connectReal, listen, tokenFor, useDatabase } from '../helpers.js'

const db = useDatabase()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A chat client in its own process: connects, logs in, prints "ready", then just keeps the socket. */
const CHILD_CLIENT = `
import WebSocket from 'ws'
const ws = new WebSocket(process.env.URL)
ws.on('open', () => ws.send(process.env.LOGIN))
ws.on('message', (data) => { if (JSON.parse(data.toString()).result === 'success') console.log('ready') })
`

test('a peer whose process is stopped (SIGSTOP) is terminated by the server within two heartbeat intervals', async (t) => {
  const interval = 400
  const app = await build(t, db.database, { HEARTBEAT_INTERVAL_MS: interval })
  const url = await listen(app)
  const login = JSON.stringify({ command: 'user_login', userId: 14, token: tokenFor(app, 14), uuid: 'stopped-phone' })
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_CLIENT], { cwd: process.cwd(), env: { ...process.env, URL: url, LOGIN: login }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => { child.kill('SIGCONT'); child.kill('SIGKILL') })
  await once(child.stdout, 'data')
  assert.equal(app.sessions.isOnline('14'), true)

  // The heartbeat runs on this process's timers: whatever this event loop was stalled (a loaded machine)
  // delayed them too, and is added to the bound instead of a fixed slack that a busy machine outlasts.
  const stalls = monitorEventLoopDelay({ resolution: 10 })
  stalls.enable()
  child.kill('SIGSTOP')
  const stoppedAt = performance.now()
  while (app.sessions.isOnline('14') && performance.now() - stoppedAt < interval * 10) await sleep(20)
  const gone = performance.now() - stoppedAt
  stalls.disable()
  assert.equal(app.sessions.isOnline('14'), false, 'still registered')
  // Two intervals, plus the loop's longest stall meanwhile, plus the 20 ms polling step and timer jitter.
  const stalledMs = stalls.max / 1e6
  assert.ok(gone <= interval * 2 + stalledMs + 100, `terminated after ${Math.round(gone)} ms (longest stall ${Math.round(stalledMs)} ms)`)
})

/** Runs a full garbage collection (the flag is set at run time, so the suite needs no node option). */
function collectGarbage (): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

const activeTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

test('reconnect churn (connect, log in, send, close, over and over) leaves no session, listener, timer or memory behind', async (t) => {
  const seconds = Number(process.env.CHURN_SECONDS ?? 10)
  const app = await build(t, db.database, { RATE_LIMIT_PER_S: 1000, RATE_LIMIT_BURST: 1000 })
  const url = await listen(app)
  // A few first rounds warm up caches, prepared statements and the database pool (presence updates run
  // beside the next login), so that the baseline is steady.
  for (const userId of [14, 4, 14, 4]) {
    const warm = await connectReal(url)
    await warm.login(app, userId, 'warm')
    warm.close()
    await warm.closedWithin()
  }
  await sleep(100)
  collectGarbage()
  const baseline = { heap: process.memoryUsage().heapUsed, timers: activeTimers(), upgrade: app.server.listenerCount('upgrade') }

  let rounds = 0
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline) {
    const client = await connectReal(url)
    await client.login(app, rounds % 2 === 0 ? 4 : 14, `churn-${rounds % 7}`)
    if (rounds % 5 === 0) assert.equal((await client.request({ command: 'user_message', roomId: 1, content: `vòng ${rounds}`, messageType: 'TEXT' })).result, 'success')
    if (rounds % 3 === 0) client.ws.terminate()
    else client.close()
    await client.closedWithin()
    rounds++
  }
  for (let i = 0; i < 100 && app.sessions.connections.size > 0; i++) await sleep(20)
  await sleep(200)
  collectGarbage()
  assert.ok(rounds > seconds * 5, `${rounds} rounds`)
  assert.equal(app.sessions.connections.size, 0)
  assert.equal(app.sessions.sessionCount, 0)
  assert.equal(app.sessions.userCount, 0)
  assert.equal(app.sessions.connectionsFrom('127.0.0.1'), 0)
  assert.equal(app.server.listenerCount('upgrade'), baseline.upgrade)
  // A leak would leave one timer per round (hundreds); the database pool may have opened a few more
  // connections meanwhile, each with its idle timer.
  assert.ok(activeTimers() <= baseline.timers + 10, `timers ${activeTimers()}, baseline ${baseline.timers}, after ${rounds} rounds`)
  const grown = process.memoryUsage().heapUsed - baseline.heap
  assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${Math.round(grown / 1024)} KiB over ${rounds} rounds`)
  t.diagnostic(`${rounds} rounds in ${seconds} s, heap ${Math.round(grown / 1024)} KiB from baseline`)
})
