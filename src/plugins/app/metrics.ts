import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import type { Metrics } from './metrics.js';

const MetricsTextSchema = z.string().describe('Prometheus text exposition format.');

/** Request metrics for every route, and GET /metrics to scrape them. */
export const metricsPlugin = fp(
  (app: FastifyInstance, { metrics }: { metrics: Metrics }) => {
    app.decorate('metrics', metrics);
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, never the raw URL: unknown paths must not create new series.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequestDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      if (reply.statusCode === 429) metrics.rateLimitRejections.inc({ route });
      done();
    });
    app.get('/metrics', {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        produces: ['text/plain'],
        response: { 200: MetricsTextSchema },
      },
      handler: async (_request, reply) => {
        const text = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(text);
      },
    });
    return Promise.resolve();
  },
  { name: 'metrics' },
);

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}
