import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { logRequestCompleted } from '../../observability/access-log.js';
import { observeAnswer } from './metrics.js';

/*
 * Answers that end without Node's 'finish', on which Fastify writes the access line and runs the
 * onResponse hooks (the latency metric among them): an event stream whose client hung up once it
 * had begun, the usual end of one, and an answer whose client left before it was ready, such as a
 * checkout while Flinks is called (its payment request may still be made). Each gets its access
 * line, marked `closedBeforeEnd`, and its count here: a stream when it is cut off, an answer nobody
 * waits for once it is ready (a stream left during its first status read is ended by its route).
 * A request whose body never arrived had no answer to give (Node may have answered 408 itself),
 * and gets no line.
 */
export const cutOffAnswersPlugin = fp(
  (app: FastifyInstance, options: { skipLog: (request: FastifyRequest) => boolean }) => {
    const account = (request: FastifyRequest, reply: FastifyReply): void => {
      if (!options.skipLog(request)) logRequestCompleted(request, reply, undefined, { closedBeforeEnd: true });
      observeAnswer(app.metrics, request, reply);
    };
    app.addHook('onRequest', (request, reply, done) => {
      const raw = reply.raw;
      raw.once('close', () => {
        // Ended by the server: Fastify's own 'finish' listener writes its line.
        if (raw.writableEnded || !request.raw.complete) return;
        if (raw.headersSent) account(request, reply);
        // Written into the closed connection once ready: Node says 'prefinish', never 'finish'.
        else raw.once('prefinish', () => setImmediate(account, request, reply));
      });
      done();
    });
    return Promise.resolve();
  },
  { name: 'cut-off-answers', dependencies: ['metrics'] },
);
