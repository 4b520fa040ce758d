import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import { CheckoutParamsSchema } from '../../checkout/schemas.js';
import type { StatusWatcher } from '../../checkout/status-watcher.js';
import type { StreamLimits } from '../../checkout/stream-limits.js';
import { CheckoutNotFoundError, NotAcceptableError } from '../../errors/app-errors.js';
import { ProblemSchema } from '../../errors/problem.js';
import { clientKeyOf } from '../../plugins/external/rate-limit.js';
import { backgroundContextOf } from './context.js';
import { answerNoStore } from './no-store.js';

const EventStreamSchema = z
  .string()
  .describe(
    'text/event-stream. `event: status` with data `CheckoutStatus` JSON, sent at once and on every change; ' +
      'comment lines as heartbeats; the stream ends after a final status.',
  );

const EVENT_STREAM = 'text/event-stream';

/** How closely a media range names an event stream (RFC 9110 §12.5.1: the most specific range decides). */
const SPECIFICITY: ReadonlyMap<string, number> = new Map([
  [EVENT_STREAM, 3],
  ['text/*', 2],
  ['*/*', 1],
]);

/**
 * Whether an Accept header admits an event stream (absent, or its most specific range naming one
 * without q=0), judged exactly as the SSE plugin judges it: were this more lenient, the plugin's own
 * 406 (whose body is no problem) would surface as a 500.
 */
function acceptsEventStream(accept: string | undefined): boolean {
  if (!accept) return true;
  let best = { specificity: -1, refused: false };
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const specificity = SPECIFICITY.get(type);
    if (specificity === undefined) continue;
    const refused = params.some((param) => /^q=0(\.0*)?$/.test(param));
    if (specificity === 3 && !refused) return true;
    if (specificity > best.specificity) best = { specificity, refused };
  }
  return best.specificity >= 0 && !best.refused;
}

export interface CheckoutEventsRouteOptions {
  watcher: StatusWatcher;
  /** Open streams per client and in total (429 / 503 beyond). */
  limits: StreamLimits;
  /**
   * Streams one client may open per window (any checkout), counted apart from its status reads: each
   * opening reads a status, so a client reconnecting in a loop is held to the pace of a poller.
   */
  rateLimit: { max: number; windowMs: number };
}

/** GET /checkout/{requestId}/events: the checkout's status now and on every change, until it is final. */
export const checkoutEventsRoute: FastifyPluginAsyncZod<CheckoutEventsRouteOptions> = (app, { watcher, limits, rateLimit }) => {
  answerNoStore(app);
  app.addHook('preClose', (done) => {
    // Streams never finish on their own before a final status; end them so close() can drain.
    watcher.closeAll();
    done();
  });

  app.get('/checkout/:requestId/events', {
    sse: 'only',
    config: { rateLimit: { max: rateLimit.max, timeWindow: rateLimit.windowMs } },
    // Refused here, before the SSE plugin's own 406, so the answer is problem+json like every error.
    preHandler: (request, _reply, done) => {
      done(acceptsEventStream(request.headers.accept) ? undefined : new NotAcceptableError(EVENT_STREAM));
    },
    schema: {
      operationId: 'followCheckout',
      summary: 'Follow a checkout as Server-Sent Events',
      description:
        'Many clients following one checkout share a single upstream poll. Unknown ids answer 404 ' +
        '(problem+json) before the stream starts and count against the per-client 404 limit. Streams opened ' +
        'are rate limited per client like status reads (counted apart), and open streams are limited per ' +
        'client (429) and per instance (503), all with Retry-After. Swagger UI\'s "Try it out" ' +
        'shows nothing until the stream ends, after a final status: follow it live with `curl -N` or an EventSource.',
      tags: ['checkout'],
      params: CheckoutParamsSchema,
      produces: [EVENT_STREAM],
      response: {
        200: EventStreamSchema,
        400: ProblemSchema,
        404: ProblemSchema,
        406: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        502: ProblemSchema,
        503: ProblemSchema,
        504: ProblemSchema,
      },
    },
    handler: async (request, reply) => {
      // Held until the connection closes, however the stream ends (final status, hang-up, error answer).
      // A connection closed already has no 'close' to come: its slot is given back at once.
      const release = limits.acquire(clientKeyOf(request));
      if (reply.raw.closed) release();
      else reply.raw.once('close', release);
      reply.sse.keepAlive();
      // The client may hang up while the first status is read from Flinks, before `follow` returns:
      // its close must still end the subscription, or the listener (and this reply) would stay
      // attached to the watch, and the watch polling Flinks, until the checkout is final.
      let unsubscribe: (() => void) | undefined;
      reply.sse.onClose(() => unsubscribe?.());
      try {
        unsubscribe = await watcher.follow(backgroundContextOf(request), request.params.requestId, {
          onStatus: (status) => {
            // Never onto a closed connection: send() would reject, unhandled.
            if (!reply.sse.isConnected) return;
            reply.sse.send({ event: 'status', data: status }).catch((error: unknown) => {
              request.log.debug({ err: error }, 'status event not sent');
            });
          },
          onEnd: () => {
            reply.sse.close();
          },
        });
      } catch (error) {
        // Judged after the lookup, as for status reads: a client past its 404 budget still follows its own.
        if (error instanceof CheckoutNotFoundError) throw (await app.notFoundGuard.countNotFound(request)) ?? error;
        throw error;
      }
      if (!reply.sse.isConnected) {
        unsubscribe();
        // Gone before its stream began: Fastify sends nothing for a handler that returns nothing
        // once the connection is closed. Ending the response here is what gives it its access
        // line and its count (cut-off-answers.ts).
        if (!reply.raw.headersSent) reply.raw.end();
      } else if (request.method === 'HEAD') {
        // Fastify answers HEAD with this handler: the head of the stream (its status and headers), then the end.
        unsubscribe();
        reply.sse.close();
      }
    },
  });
  return Promise.resolve();
};
