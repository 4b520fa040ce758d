import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { ReadStatus } from '../../checkout/read-status.js';
import { CheckoutParamsSchema, CheckoutStatusSchema } from '../../checkout/schemas.js';
import { CheckoutNotFoundError } from '../../errors/app-errors.js';
import { ProblemSchema } from '../../errors/problem.js';
import { contextOf } from './context.js';
import { answerNoStore } from './no-store.js';

export interface CheckoutStatusRouteOptions {
  readStatus: ReadStatus;
  /** Reads one client may make per window (any checkout); a browser polling every 2 s uses 30 a minute. */
  rateLimit: { max: number; windowMs: number };
}

/** GET /checkout/{requestId} */
export const checkoutStatusRoute: FastifyPluginAsyncZod<CheckoutStatusRouteOptions> = (app, { readStatus, rateLimit }) => {
  answerNoStore(app);
  app.get('/checkout/:requestId', {
    config: { rateLimit: { max: rateLimit.max, timeWindow: rateLimit.windowMs } },
    schema: {
      operationId: 'getCheckoutStatus',
      summary: 'Read the status of a checkout',
      description:
        'Current Flinks Pay status (answered from a cache of a few seconds). Poll until `final` is true, every ' +
        'few seconds, or follow the event stream. Only checkouts created through this service are answered. Reads ' +
        'are rate limited per client, and requests that end in 404 count against a separate per-client limit.',
      tags: ['checkout'],
      params: CheckoutParamsSchema,
      response: {
        200: CheckoutStatusSchema,
        400: ProblemSchema,
        404: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        502: ProblemSchema,
        503: ProblemSchema,
        504: ProblemSchema,
      },
    },
    handler: async (request) => {
      try {
        return await readStatus(contextOf(request), request.params.requestId);
      } catch (error) {
        // An unknown id never reaches Flinks, so its budget is judged after the lookup.
        if (error instanceof CheckoutNotFoundError) throw (await app.notFoundGuard.countNotFound(request)) ?? error;
        throw error;
      }
    },
  });
  return Promise.resolve();
};
