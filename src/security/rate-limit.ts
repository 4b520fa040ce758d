import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../errors/app-errors.js';

export interface RateLimitOptions {
  max: number;
  windowMs: number;
  /** How many 404 answers one client may collect per window before it is refused. */
  notFoundMax: number;
  /** Shared counters, so a limit holds across instances; in memory per instance without. */
  redis?: Redis;
  keyPrefix?: string;
}

/**
 * Per-client limits. Routes opt in through `config.rateLimit`; the limiter's own 429 goes through
 * the error handler, so it is problem+json with Retry-After.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, options: RateLimitOptions) => {
    await app.register(rateLimit, {
      global: false,
      max: options.max,
      timeWindow: options.windowMs,
      errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
      ...(options.redis ? { redis: options.redis, nameSpace: `${options.keyPrefix ?? ''}rate-limit:` } : {}),
      // A Redis outage must not take checkouts down with it: requests pass unlimited meanwhile.
      skipOnError: true,
    });
    app.decorate('notFoundGuard', createNotFoundGuard(app, options));
  },
  { name: 'rate-limit' },
);

/**
 * Counts only the requests that end in 404, so polling a real checkout is never throttled while
 * guessing ids (or paths) quickly runs out of attempts.
 */
function createNotFoundGuard(app: FastifyInstance, options: RateLimitOptions) {
  const limiter = app.createRateLimit({
    max: options.notFoundMax,
    timeWindow: options.windowMs,
    keyGenerator: (request) => `not-found:${request.ip}`,
  });
  return {
    async assertAllowed(request: FastifyRequest): Promise<void> {
      // A peek does not count this request, so the budget is spent once `remaining` reaches 0.
      const state = await limiter(request, { increment: false });
      if (!state.isAllowed && state.remaining <= 0) throw new RateLimitedError(Math.max(1, state.ttlInSeconds));
    },
    async recordNotFound(request: FastifyRequest): Promise<void> {
      await limiter(request);
    },
  };
}

export type NotFoundGuard = ReturnType<typeof createNotFoundGuard>;

declare module 'fastify' {
  interface FastifyInstance {
    notFoundGuard: NotFoundGuard;
  }
}
