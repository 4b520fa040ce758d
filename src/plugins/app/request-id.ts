import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from '../../observability/logger.js';

/** Every answer names its request id, the one every log line of that request carries. */
export const requestIdPlugin = fp(
  (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
    return Promise.resolve();
  },
  { name: 'request-id' },
);
