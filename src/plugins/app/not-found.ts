import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem } from './error-handler.js';

/** Unknown paths answer problem+json too, and count against the caller's 404 budget. */
export const notFoundPlugin = fp(
  (app: FastifyInstance) => {
    app.setNotFoundHandler(
      { preHandler: async (request: FastifyRequest) => app.notFoundGuard.assertAllowed(request) },
      async (request, reply) => {
        await app.notFoundGuard.recordNotFound(request);
        return sendProblem(request, reply, {
          code: 'not-found',
          status: 404,
          detail: `There is no ${request.method} ${request.url.split('?')[0] ?? '/'} endpoint. See /docs.`,
        });
      },
    );
    return Promise.resolve();
  },
  { name: 'not-found', dependencies: ['rate-limit', 'error-handler'] },
);
