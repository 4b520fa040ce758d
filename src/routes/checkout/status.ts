import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { ReadStatus } from '../../checkout/read-status.js';
import { CheckoutParamsSchema, CheckoutStatusSchema } from '../../checkout/schemas.js';
import { CheckoutNotFoundError } from '../../errors/app-errors.js';
import { ProblemSchema } from '../../errors/problem.js';
import { contextOf } from './context.js';

/** GET /checkout/{requestId} */
export const checkoutStatusRoute: FastifyPluginAsyncZod<{ readStatus: ReadStatus }> = (app, { readStatus }) => {
  app.get('/checkout/:requestId', {
    schema: {
      summary: 'Read the status of a checkout',
      description:
        'Current Flinks Pay status. Poll until `final` is true, or follow the event stream. ' +
        'Requests that end in 404 count against a per-client limit.',
      tags: ['checkout'],
      params: CheckoutParamsSchema,
      response: {
        200: CheckoutStatusSchema,
        400: ProblemSchema,
        404: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        502: ProblemSchema,
        504: ProblemSchema,
      },
    },
    handler: async (request) => {
      await app.notFoundGuard.assertAllowed(request);
      try {
        return await readStatus(contextOf(request), request.params.requestId);
      } catch (error) {
        if (error instanceof CheckoutNotFoundError) await app.notFoundGuard.recordNotFound(request);
        throw error;
      }
    },
  });
  return Promise.resolve();
};
