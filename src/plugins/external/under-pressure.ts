import { getHeapStatistics } from 'node:v8';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { OverloadedError } from '../../errors/app-errors.js';

export interface LoadSheddingOptions {
  maxEventLoopDelayMs: number;
  /** Heap in use beyond which requests are refused; default 90 % of V8's heap limit. */
  maxHeapUsedBytes?: number;
  /** Paths always served, so orchestrators can still tell a busy instance from a dead one. */
  exemptPaths: readonly string[];
}

/**
 * Under pressure (event loop lagging, heap nearly full) the service refuses new work at once with
 * 503 + Retry-After, rather than slowing every request down until all of them time out.
 */
export const underPressurePlugin = fp(
  async (app: FastifyInstance, options: LoadSheddingOptions) => {
    const exempt = new Set(options.exemptPaths);
    await app.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      maxHeapUsedBytes: options.maxHeapUsedBytes ?? Math.floor(getHeapStatistics().heap_size_limit * 0.9),
      retryAfter: 5,
      pressureHandler: (request, reply, type, value) => {
        if (exempt.has(request.url)) return;
        request.log.warn({ pressure: type, value }, 'shedding load');
        reply.send(new OverloadedError(5, 'The service is overloaded.'));
      },
    });
  },
  { name: 'under-pressure' },
);
