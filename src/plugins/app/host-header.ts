import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { NO_STORE, sendProblem } from './error-handler.js';

/**
 * HTTP/1.1 requires a Host header. Node refuses a request without one by itself, with an empty 400
 * that names no request id (its requireHostHeader, switched off in app.ts); here that 400 is a
 * problem+json like every other answer.
 */
export const hostHeaderPlugin = fp(
  (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      if (request.raw.headers.host !== undefined || request.raw.httpVersion !== '1.1') {
        done();
        return;
      }
      reply.header('cache-control', NO_STORE).header('connection', 'close');
      // Answered here, so done() is not called: the request goes no further.
      sendProblem(request, reply, {
        code: 'malformed-request',
        status: 400,
        detail: 'An HTTP/1.1 request needs a Host header.',
        errors: [{ path: 'host', message: 'is required in HTTP/1.1' }],
      });
    });
    return Promise.resolve();
  },
  { name: 'host-header', dependencies: ['request-id'] },
);
