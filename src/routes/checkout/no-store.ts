import type { FastifyInstance } from 'fastify';
import { NO_STORE } from '../../plugins/app/error-handler.js';

/**
 * Every answer of the calling route plugin carries `Cache-Control: no-store`: a launch URL or a
 * payment status kept by a browser, proxy or CDN could be replayed to someone else or go stale.
 * Set on request, so event streams (which bypass onSend) carry it; and again on send, so answers
 * refused by hooks that ran before this plugin's (load shedding) carry it too.
 */
export function answerNoStore(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('cache-control', NO_STORE);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('cache-control', NO_STORE);
    done(null, payload);
  });
}
