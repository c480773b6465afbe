import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { asyncApiText } from '../src/commands/asyncapi.js'

/** GET /asyncapi.json: the AsyncAPI 3.0 document of /ws, generated once at start-up from the command and event tables. */
export default async function asyncApiRoute (app: FastifyInstance) {
  const text = asyncApiText()
  app.get('/asyncapi.json', {
    schema: {
      summary: 'The AsyncAPI 3.0 document of the /ws protocol: every command, answer, event, failure and close code',
      response: { 200: Type.Object({ asyncapi: Type.Literal('3.0.0') }, { additionalProperties: true }) }
    }
  }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(text))
}
