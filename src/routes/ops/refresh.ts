import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { CheckoutParamsSchema } from '../../checkout/schemas.js';
import { ProblemSchema } from '../../errors/problem.js';
import { contextOf } from '../checkout/context.js';
import { OPS_SECURITY, OpsCheckoutSchema, type OpsRouteOptions } from './schemas.js';

/** POST /ops/checkouts/{requestId}/refresh */
export const opsRefreshRoute: FastifyPluginAsyncZod<OpsRouteOptions> = (app, { console: ops }) => {
  app.post('/ops/checkouts/:requestId/refresh', {
    schema: {
      operationId: 'refreshCheckout',
      summary: 'Read a checkout from Flinks now',
      description:
        'Reads the status from Flinks at once (like a status read: a change is recorded, pushed to event streams and ' +
        'sent to the merchant) and answers the record. A checkout whose final status was seen is not read again: that ' +
        'status never changes.',
      tags: ['ops'],
      security: OPS_SECURITY,
      params: CheckoutParamsSchema,
      response: {
        200: OpsCheckoutSchema,
        400: ProblemSchema,
        401: ProblemSchema,
        404: ProblemSchema,
        415: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        502: ProblemSchema,
        503: ProblemSchema,
        504: ProblemSchema,
      },
    },
    handler: (request) => ops.refresh(contextOf(request), request.params.requestId),
  });
  return Promise.resolve();
};
