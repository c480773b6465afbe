import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { readRegistration, registerDevice } from '../src/chat/push-registrations.js'
import { CommandFailure } from '../src/protocol/errors.js'
import { PushRegistrationFields } from '../src/protocol/push.js'
import { compileTextCheck } from '../src/protocol/text.js'
import { bearerUser, Failure, sendFailure } from './http-failures.js'

const SubscriptionBody = Type.Object({
  /** The device id the app logs in with: one registration per (user, device). */
  uuid: Type.String({ minLength: 1, maxLength: 128 }),
  ...PushRegistrationFields
})

/** The body's strings checked for what the database cannot hold, compiled once. */
const subscriptionText = compileTextCheck(SubscriptionBody)

/** Push beside the socket: the VAPID key for PushManager.subscribe, and registration from a service worker. */
export default async function pushRoutes (untyped: FastifyInstance) {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/push/vapid-public-key', {
    schema: {
      summary: 'The VAPID public key browsers subscribe with (applicationServerKey)',
      response: { 200: Type.Object({ publicKey: Type.String() }), 404: Failure }
    }
  }, async (_request, reply) => {
    const publicKey = app.push.vapidPublicKey
    if (publicKey === undefined) return sendFailure(reply, 'NOT_FOUND', { errors: [{ path: '', message: 'Web Push is not configured on this server' }] })
    return { publicKey }
  })

  app.post('/push/subscriptions', {
    attachValidation: true,
    schema: {
      summary: 'Registers a device for pushes (a service worker without a socket), replacing its earlier registration',
      headers: Type.Object({ authorization: Type.String({ description: 'Bearer <login token>' }) }),
      body: SubscriptionBody,
      response: { 201: Type.Object({ result: Type.Literal('success') }), 400: Failure, 401: Failure, 403: Failure }
    }
  }, async (request, reply) => {
    try {
      const userId = await bearerUser(app, request)
      // Validated after the token (attachValidation): an unknown caller learns nothing of the body's rules.
      if (request.validationError !== undefined) throw request.validationError
      const { body } = request
      // Text of any field reaches the database, which cannot hold U+0000 or lone surrogates.
      const unstorable = subscriptionText(body)
      if (unstorable.length > 0) throw new CommandFailure('INVALID_FORMAT', [...unstorable])
      const registration = readRegistration(body, { userId, deviceUuid: body.uuid }, { production: app.config.NODE_ENV === 'production', providers: app.push.providers })
      await registerDevice(app.db, registration)
      request.log.info({ userId, uuid: body.uuid, provider: registration.provider }, 'push registered')
      return reply.code(201).send({ result: 'success' })
    } catch (error) {
      if (error instanceof CommandFailure) return sendFailure(reply, error.code, { errors: error.errors })
      throw error
    }
  })
}
