import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { isEmpty, seedDemoData } from './chat/demo.js'
import { mintToken } from './auth/mint-token.js'
import { prettyLogs } from './logger.js'
import { checkPortFree, explainStartupErrors } from './startup.js'
import { loadConfig } from './config.js'

const app = await explainStartupErrors(async () => {
  const settings = loadConfig()
  await checkPortFree(settings.PORT, settings.HOST)
  return await buildApp()
})
const { config } = app

if (config.DEMO_SEED && config.NODE_ENV !== 'production' && await isEmpty(app.db)) {
  await seedDemoData(app.db)
  app.log.info('empty database: demo data written (users 4, 14, 15, 16; listing 123; room 1)')
}

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an uncaught error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

// A mass reconnect opens thousands of connections within milliseconds. With Node's default accept queue
// (511) the kernel drops the handshakes past it, and those clients come back only after TCP's
// retransmission timeouts (1 s, 3 s, 7 s, ...). The kernel caps this at net.core.somaxconn.
const LISTEN_BACKLOG = 4096

await app.listen({ port: config.PORT, host: config.HOST, backlog: LISTEN_BACKLOG })

if (config.NODE_ENV !== 'production' && config.JWT_PUBLIC_KEY === undefined) {
  // Ready-to-paste lines for trying the server with wscat (development only: fresh tokens, valid 12 h).
  // Through the logger, so they come after "Server listening" in the same stream: on a terminal as
  // lines to copy, elsewhere as one JSON record among the others.
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT
  const host = ['0.0.0.0', '::'].includes(config.HOST) ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST
  const lines = [
    `wscat -c ws://${host}:${port}/ws`,
    ...[['4', 'device-1'], ['14', 'device-2']].map(([userId, uuid]) =>
      JSON.stringify({ command: 'user_login', userId: Number(userId), token: mintToken(config, userId!, '12h'), uuid })),
    JSON.stringify({ command: 'user_message', content: 'Xin chào', messageType: 'TEXT', roomId: 1 })
  ]
  if (prettyLogs()) app.log.info(`Try it with wscat:\n${lines.map((line) => `  ${line}`).join('\n')}\n`)
  else app.log.info({ wscat: lines }, 'try it with wscat')
}
