import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { CheckoutParamsSchema } from '../../checkout/schemas.js';
import { ProblemSchema } from '../../errors/problem.js';
import { OPS_SECURITY, OpsCheckoutSchema, type OpsRouteOptions } from './schemas.js';

/** GET /ops/checkouts/{requestId} */
export const opsCheckoutRoute: FastifyPluginAsyncZod<OpsRouteOptions> = (app, { console: ops }) => {
  app.get('/ops/checkouts/:requestId', {
    schema: {
      operationId: 'getCheckoutRecord',
      summary: 'Read a checkout: its statuses and merchant webhook attempts',
      description:
        'The record kept of a checkout created here: last known status, each status seen (when, and whether a status ' +
        'read, reconciliation or a Flinks webhook saw it) and each merchant webhook attempt with its answer. Answered ' +
        'from the record; use refresh to read Flinks now.',
      tags: ['ops'],
      security: OPS_SECURITY,
      params: CheckoutParamsSchema,
      response: {
        200: OpsCheckoutSchema,
        400: ProblemSchema,
        401: ProblemSchema,
        404: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        503: ProblemSchema,
      },
    },
    handler: (request) => ops.detail(request.params.requestId),
  });
  return Promise.resolve();
};
