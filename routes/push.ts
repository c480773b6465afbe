import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifySchemaValidationError } from 'fastify'
import { findUser } from '../src/chat/users.js'
import { readRegistration, registerDevice } from '../src/chat/push-registrations.js'
import { CommandFailure, Failures, type FailureCode, type FieldError } from '../src/protocol/errors.js'
import { PushRegistrationFields } from '../src/protocol/push.js'

const Failure = Type.Object({
  result: Type.Literal('failed'),
  reason: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() })))
})

const SubscriptionBody = Type.Object({
  /** The device id the app logs in with: one registration per (user, device). */
  uuid: Type.String({ minLength: 1, maxLength: 128 }),
  ...PushRegistrationFields
})

const STATUS: Partial<Record<FailureCode, number>> = {
  INVALID_FORMAT: 400,
  MISSING_FIELDS: 400,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  USER_NOT_FOUND: 401,
  ACCOUNT_INACTIVE: 403
}

const sendFailure = (reply: FastifyReply, code: FailureCode, errors?: FieldError[]) =>
  reply.code(STATUS[code] ?? 500).send({ result: 'failed', reason: Failures[code], code, ...(errors !== undefined && { errors }) })

/** Push beside the socket: the VAPID key for PushManager.subscribe, and registration from a service worker. */
export default async function pushRoutes (app: FastifyInstance) {
  app.get('/push/vapid-public-key', {
    schema: {
      summary: 'The VAPID public key browsers subscribe with (applicationServerKey)',
      response: { 200: Type.Object({ publicKey: Type.String() }), 404: Type.Object({ error: Type.String() }) }
    }
  }, async (_request, reply) => {
    const publicKey = app.push.vapidPublicKey
    if (publicKey === undefined) return reply.code(404).send({ error: 'Web Push is not configured on this server' })
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
    const bearer = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')
    if (bearer === null) return sendFailure(reply, 'INVALID_TOKEN')
    try {
      const { userId } = app.verifyToken(bearer[1]!)
      if (request.validationError !== undefined) {
        const problems = (request.validationError as { validation?: FastifySchemaValidationError[] }).validation ?? []
        const missing = problems.some((problem) => problem.keyword === 'required')
        return sendFailure(reply, missing ? 'MISSING_FIELDS' : 'INVALID_FORMAT', problems.slice(0, 10).map((problem) => ({
          path: problem.instancePath === '' && typeof problem.params.missingProperty === 'string' ? `/${problem.params.missingProperty}` : problem.instancePath,
          message: problem.message ?? 'invalid'
        })))
      }
      const user = await findUser(app.db, userId)
      if (user === undefined) return sendFailure(reply, 'USER_NOT_FOUND')
      if (user.status !== 'ACTIVE') return sendFailure(reply, 'ACCOUNT_INACTIVE')
      const body = request.body as typeof SubscriptionBody.static
      const registration = readRegistration(body, { userId, deviceUuid: body.uuid }, { production: app.config.NODE_ENV === 'production', providers: app.push.providers })
      await registerDevice(app.db, registration)
      request.log.info({ userId, uuid: body.uuid, provider: registration.provider }, 'push registered')
      return reply.code(201).send({ result: 'success' })
    } catch (error) {
      if (error instanceof CommandFailure) return sendFailure(reply, error.code, error.errors)
      throw error
    }
  })
}
