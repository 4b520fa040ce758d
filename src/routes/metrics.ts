import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';

const MetricsTextSchema = z.string().describe('Prometheus text exposition format.');

export const metricsRoutes: FastifyPluginAsyncZod = (app) => {
  app.get('/metrics', {
    schema: {
      // For the Prometheus scraper, not for API clients: kept out of the API document.
      hide: true,
      summary: 'Prometheus metrics',
      tags: ['operations'],
      produces: ['text/plain'],
      response: { 200: MetricsTextSchema },
    },
    handler: async (_request, reply) => {
      const text = await app.metrics.registry.metrics();
      return reply.type(app.metrics.registry.contentType).send(text);
    },
  });
  return Promise.resolve();
};
