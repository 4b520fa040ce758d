import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';

const MetricsTextSchema = z.string().describe('Prometheus text exposition format.');

/** GET /metrics: on the main port, or alone on METRICS_PORT (plugins/app/metrics-listener.ts). */
export const metricsRoutes: FastifyPluginAsyncZod<{ registry: Registry }> = (app, { registry }) => {
  app.get('/metrics', {
    schema: {
      // For the Prometheus scraper, not for API clients: kept out of the API document.
      hide: true,
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      tags: ['operations'],
      produces: ['text/plain'],
      response: { 200: MetricsTextSchema },
    },
    handler: async (_request, reply) => {
      const text = await registry.metrics();
      reply.type(registry.contentType);
      return text;
    },
  });
  return Promise.resolve();
};
