import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { maxHeapUsedBytesOf } from '../../config/runtime-limits.js';
import { OverloadedError } from '../../errors/app-errors.js';

export interface LoadSheddingOptions {
  maxEventLoopDelayMs: number;
  /**
   * Heap in use beyond which requests are refused; default 75 % of a capped old space, else 90 % of
   * V8's heap limit (see defaultMaxHeapUsedBytes).
   */
  maxHeapUsedBytes?: number;
  /** The old-space cap (MiB) from NODE_OPTIONS; one given on node's command line is found by itself. */
  oldSpaceCapMb?: number;
  /** Paths always served, so orchestrators can still tell a busy instance from a dead one. */
  exemptPaths: readonly string[];
  /** Paths under these are always served too (the embedded sandbox, which stands for Flinks). */
  exemptPrefixes?: readonly string[];
}

/**
 * Under pressure (event loop lagging, heap nearly full) the service refuses new work at once with
 * 503 + Retry-After, rather than slowing every request down until all of them time out.
 */
export const underPressurePlugin = fp(
  async (app: FastifyInstance, options: LoadSheddingOptions) => {
    const exempt = new Set(options.exemptPaths);
    const exemptPrefixes = options.exemptPrefixes ?? [];
    const maxHeapUsedBytes = maxHeapUsedBytesOf(options.maxHeapUsedBytes, options.oldSpaceCapMb);
    app.log.debug({ maxHeapUsedMb: Math.round(maxHeapUsedBytes / 2 ** 20) }, 'load shedding');
    await app.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      maxHeapUsedBytes,
      retryAfter: 5,
      // Four samples a second: a burst of checkouts must not carry the heap from under the
      // threshold to V8's limit between two samples (the default is one a second).
      sampleInterval: 250,
      pressureHandler: (request, reply, type, value) => {
        if (exempt.has(request.url) || exemptPrefixes.some((prefix) => request.url.startsWith(prefix))) return;
        // A loop blocked for a whole sample (module loading at start, say) leaves the delay
        // histogram empty, which under-pressure reports as an infinite delay: one stall, not a
        // lagging loop, so it must not turn the next requests away.
        if (type === 'eventLoopDelay' && !Number.isFinite(value)) return;
        request.log.warn({ pressure: type, value }, 'shedding load');
        reply.send(new OverloadedError(5, 'The service is overloaded.'));
      },
    });
  },
  { name: 'under-pressure' },
);
