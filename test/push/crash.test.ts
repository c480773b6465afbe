import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { registerDevice } from '../../src/chat/push-registrations.js'
import { build, loggedIn, onPostgres, TEST_CONFIG, textMessage, useDatabase } from '../helpers.js'
import { pushConfig, settled } from './helpers.js'
import { BrowserSubscription, FakePushService, vapidKeys } from './push-service.js'

const shared = useDatabase()
const root = fileURLToPath(new URL('../..', import.meta.url))

/** A server process of its own, pushing from the shared outbox: the one the test kills. */
function startWorkerProcess (env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit']
  })
  return child
}

async function kill (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

test('a worker process killed mid-send loses no push; the resend keeps its Topic; a row marked sent is never sent again', {
  skip: onPostgres ? false : 'needs DATABASE_URL: the worker runs in a process of its own, and an embedded PGlite database belongs to one process'
}, async (t) => {
  const service = await new FakePushService().start()
  t.after(() => service.close())
  const keys = vapidKeys()
  // The test's own node stores messages and sends nothing; the child process sends.
  const app = await build(t, shared.database, pushConfig(keys, { PUSH_WORKER: false }))
  const browser = new BrowserSubscription(`${service.origin}/push/14`)
  const json = browser.toJSON()
  await registerDevice(app.db, { userId: '14', deviceUuid: 'phone', provider: 'webpush', address: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth, locale: null })

  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(pushConfig(keys)).map(([key, value]) => [key, String(value)])),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: String(TEST_CONFIG.JWT_SECRET),
    DATABASE_URL: shared.url!,
    PORT: '0',
    HOST: '127.0.0.1',
    DEMO_SEED: 'false',
    PUSH_SEND_TIMEOUT_MS: '5000',
    PUSH_LEASE_MS: '6000'
  }
  const children: ChildProcess[] = []
  t.after(async () => { for (const child of children) await kill(child) })
  const worker = () => { const child = startWorkerProcess(env); children.push(child); return child }

  // The push service takes the first request and never answers it: the worker dies in the middle of it.
  service.answer('hold')
  const first = worker()
  const sender = await loggedIn(app, 4)
  const m1 = await sender.request(textMessage('trước sự cố'))
  await service.received(1, 60_000)
  await kill(first)

  // Another process takes the row once the dead one's lease has run out, and sends it again.
  const second = worker()
  const [held, resent] = await service.received(2, 60_000)
  assert.equal(resent!.headers.topic, held!.headers.topic)
  assert.equal(resent!.headers.topic, '1')
  assert.equal(JSON.parse(browser.decrypt(held!.body)).messageId, m1.message.messageId)
  assert.equal(JSON.parse(browser.decrypt(resent!.body)).messageId, m1.message.messageId)
  assert.equal((await settled(app, m1.message.messageId, 60_000))[0]!.state, 'sent')

  // Killed after the row was marked sent: the next process sends only what is new.
  await kill(second)
  worker()
  const m2 = await sender.request(textMessage('sau sự cố'))
  const requests = await service.received(3, 60_000)
  assert.equal(JSON.parse(browser.decrypt(requests[2]!.body)).messageId, m2.message.messageId)
  await settled(app, m2.message.messageId, 60_000)
  assert.equal(service.requests.length, 3)
})
