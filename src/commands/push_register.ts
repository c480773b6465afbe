import { registerDevice, readRegistration } from '../chat/push-registrations.js'
import { commandSchema } from '../protocol/envelope.js'
import { PushRegistrationFields } from '../protocol/push.js'
import { Answers } from '../protocol/events.js'
import { defineCommand } from './types.js'

export const PushRegister = commandSchema(PushRegistrationFields)

/** Registers this device for pushes, replacing its earlier registration. */
export default defineCommand({
  schema: PushRegister,
  answer: Answers.push_register,
  requiresAuth: true,
  failures: ['INVALID_FORMAT', 'MISSING_FIELDS'],
  async handler (input, { app, session }) {
    const { userId, uuid } = session
    const registration = readRegistration(input, { userId, deviceUuid: uuid }, { production: app.config.NODE_ENV === 'production', providers: app.push.providers })
    await registerDevice(app.db, registration)
    app.log.info({ userId, uuid, provider: registration.provider }, 'push registered')
    return {}
  }
})
