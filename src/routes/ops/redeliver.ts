import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { CheckoutParamsSchema } from '../../checkout/schemas.js';
import { ProblemSchema } from '../../errors/problem.js';
import { OPS_SECURITY, OpsRedeliverySchema, type OpsRouteOptions } from './schemas.js';

/** POST /ops/checkouts/{requestId}/redeliver */
export const opsRedeliverRoute: FastifyPluginAsyncZod<OpsRouteOptions> = (app, { console: ops }) => {
  app.post('/ops/checkouts/:requestId/redeliver', {
    schema: {
      operationId: 'redeliverCheckoutEvent',
      summary: "Send a checkout's latest status event to the merchant again",
      description:
        'Queues a new attempt of the latest status event, with the same `webhook-id` (the merchant ignores it if it ' +
        'has it already), retried as usual. 409 while no status event was sent for the checkout yet (it is still ' +
        'Initiated); 503 when merchant webhooks are not configured.',
      tags: ['ops'],
      security: OPS_SECURITY,
      params: CheckoutParamsSchema,
      response: {
        202: OpsRedeliverySchema,
        400: ProblemSchema,
        401: ProblemSchema,
        404: ProblemSchema,
        409: ProblemSchema,
        415: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        503: ProblemSchema,
      },
    },
    handler: async (request, reply) => {
      const redelivery = await ops.redeliver(request.params.requestId);
      reply.code(202);
      return redelivery;
    },
  });
  return Promise.resolve();
};
