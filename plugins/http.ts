import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import type { FastifyError } from 'fastify'
import { describeErrors } from '../src/commands/dispatch.js'
import { isTransientDbError } from '../src/db/errors.js'
import { CommandFailure } from '../src/protocol/errors.js'
import { SERVER_VERSION } from '../src/protocol/version.js'
import { sendFailure } from '../routes/http-failures.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every HTTP route registered, as Fastify has it (the OpenAPI test compares the document with it). */
    httpRoutes: Array<{ method: string, url: string, hidden: boolean }>
  }
}

/** Where the interactive documentation is served (outside production); the document itself at /docs/json. */
export const DOCS_PREFIX = '/docs'

/**
 * The HTTP side of the server: route input validated by the routes' own TypeBox schemas (compiled by
 * TypeBox, as the socket's commands are, with the same field messages), one error handler answering
 * every error in the socket's failure shape, and the OpenAPI document of every route (@fastify/swagger),
 * browsable at /docs outside production. Registered before any route, so that it sees them all.
 */
export default fp(async (app) => {
  const routes: Array<{ method: string, url: string, hidden: boolean }> = []
  app.decorate('httpRoutes', routes)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true })
    }
  })

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const check = TypeCompiler.Compile(schema as TSchema)
    return (value: unknown) => {
      // Headers, the query string and path parameters arrive as text: "5" is read as the number a schema asks for.
      const converted = httpPart === 'body' ? value : Value.Convert(schema as TSchema, value)
      if (check.Check(converted)) return { value: converted }
      const { code, errors } = describeErrors(check, converted)
      return { error: Object.assign(new CommandFailure(code, errors), { statusCode: 400 }) }
    }
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof CommandFailure) return sendFailure(reply, error.code, { errors: error.errors })
    if (isTransientDbError(error)) {
      request.log.warn({ err: error }, 'database unavailable')
      return sendFailure(reply, 'UNAVAILABLE')
    }
    const status = error.statusCode ?? 500
    // Fastify's own refusals of a request (unreadable JSON, an unsupported content type, a body too large).
    if (status >= 400 && status < 500) return sendFailure(reply, status === 404 ? 'NOT_FOUND' : 'INVALID_FORMAT', { errors: [{ path: '', message: error.message }] }, status)
    const errorId = randomUUID()
    request.log.error({ err: error, errorId }, 'request failed unexpectedly')
    return sendFailure(reply, 'INTERNAL', { errorId }, 500)
  })
  app.setNotFoundHandler((_request, reply) => sendFailure(reply, 'NOT_FOUND', {}, 404))

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'BDSTHAT chat server: HTTP routes',
        version: SERVER_VERSION,
        description: 'The HTTP routes beside the WebSocket /ws (whose protocol is the AsyncAPI document at /asyncapi.json). ' +
          'Every error answers `{"result":"failed","reason","code","errors?","errorId?"}` with the reasons of the socket protocol.'
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The login token of the socket\'s user_login (METRICS_TOKEN for /metrics)' }
        }
      }
    }
  })
  if (app.config.NODE_ENV !== 'production') {
    await app.register(swaggerUi, { routePrefix: DOCS_PREFIX })
  }
}, { name: 'http', dependencies: ['config'] })
