import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from '../../observability/metrics.js';

/**
 * Counts an answer by route and status; called by hand for the answers no hook sees (the router's
 * refusals, early-errors.ts).
 */
export function observeAnswer(metrics: Metrics, request: FastifyRequest, reply: FastifyReply): void {
  // The route pattern, never the raw URL: unknown paths must not create new series.
  const route = request.routeOptions.url ?? 'unmatched';
  metrics.httpRequestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  if (reply.statusCode === 429) metrics.rateLimitRejections.inc({ route });
}

/** `app.metrics`, and request latency by route and status for every answer. */
export const metricsPlugin = fp(
  (app: FastifyInstance) => {
    const metrics = createMetrics();
    app.decorate('metrics', metrics);
    app.addHook('onResponse', (request, reply, done) => {
      observeAnswer(metrics, request, reply);
      done();
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
