import fp from 'fastify-plugin'
import { userChannel } from '../src/broker/types.js'
import { inactiveUsers } from '../src/chat/users.js'

/**
 * Banned or deactivated users lose their live sessions: every ACCOUNT_CHECK_INTERVAL_MS the status of
 * this node's connected users is read again in one query (it works the same on PGlite, which has no
 * LISTEN/NOTIFY), and each user found inactive is published as `account_disabled` on their user channel,
 * so every node holding one of their devices closes it with 4004.
 */
export default fp(async (app) => {
  const { config, sessions, publisher, db } = app
  let running: Promise<void> | undefined

  const check = async () => {
    const userIds = [...sessions.userIds()]
    if (userIds.length === 0) return
    const inactive = await inactiveUsers(db, userIds)
    for (const userId of inactive) {
      app.log.info({ userId }, 'account no longer active')
      await publisher.publish(userChannel(userId), { type: 'account_disabled', userId })
    }
  }

  const timer = setInterval(() => {
    // One check at a time: a slow database never piles them up.
    if (running !== undefined || sessions.closing) return
    running = check()
      .catch((error: unknown) => { app.log.warn({ err: error }, 'account status check failed') })
      .finally(() => { running = undefined })
  }, config.ACCOUNT_CHECK_INTERVAL_MS).unref()

  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running
  })
}, { name: 'account-status', dependencies: ['db', 'sessions', 'engines'] })
