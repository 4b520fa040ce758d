import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { CheckoutParamsSchema } from '../../checkout/schemas.js';
import type { StatusWatcher } from '../../checkout/status-watcher.js';
import { CheckoutNotFoundError, NotAcceptableError } from '../../errors/app-errors.js';
import { ProblemSchema } from '../../errors/problem.js';
import { contextOf } from './context.js';

const EventStreamSchema = z
  .string()
  .describe(
    'text/event-stream. `event: status` with data `CheckoutStatus` JSON, sent at once and on every change; ' +
      'comment lines as heartbeats; the stream ends after a final status.',
  );

const EVENT_STREAM = 'text/event-stream';

/** Whether an Accept header admits an event stream (absent, a wildcard, or the type with q > 0). */
function acceptsEventStream(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const quality = params.find((param) => param.startsWith('q='));
    const refused = quality !== undefined && Number(quality.slice(2)) === 0;
    return !refused && (type === EVENT_STREAM || type === 'text/*' || type === '*/*');
  });
}

/** GET /checkout/{requestId}/events: the checkout's status now and on every change, until it is final. */
export const checkoutEventsRoute: FastifyPluginAsyncZod<{ watcher: StatusWatcher }> = (app, { watcher }) => {
  app.addHook('preClose', (done) => {
    // Streams never finish on their own before a final status; end them so close() can drain.
    watcher.closeAll();
    done();
  });

  app.get('/checkout/:requestId/events', {
    sse: 'only',
    // Refused here, before the SSE plugin's own 406, so the answer is problem+json like every error.
    preHandler: (request, _reply, done) => {
      done(acceptsEventStream(request.headers.accept) ? undefined : new NotAcceptableError(EVENT_STREAM));
    },
    schema: {
      summary: 'Follow a checkout as Server-Sent Events',
      description:
        'Many clients following one checkout share a single upstream poll. Unknown ids answer 404 ' +
        '(problem+json) before the stream starts and count against the per-client 404 limit.',
      tags: ['checkout'],
      params: CheckoutParamsSchema,
      produces: [EVENT_STREAM],
      response: {
        200: EventStreamSchema,
        400: ProblemSchema,
        404: ProblemSchema,
        406: ProblemSchema,
        429: ProblemSchema,
        502: ProblemSchema,
        503: ProblemSchema,
        504: ProblemSchema,
      },
    },
    handler: async (request, reply) => {
      await app.notFoundGuard.assertAllowed(request);
      reply.sse.keepAlive();
      let unsubscribe: () => void;
      try {
        unsubscribe = await watcher.follow(contextOf(request), request.params.requestId, {
          onStatus: (status) => void reply.sse.send({ event: 'status', data: status }),
          onEnd: () => {
            reply.sse.close();
          },
        });
      } catch (error) {
        if (error instanceof CheckoutNotFoundError) await app.notFoundGuard.recordNotFound(request);
        throw error;
      }
      reply.sse.onClose(unsubscribe);
    },
  });
  return Promise.resolve();
};
