import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../../errors/app-errors.js';
import { clientKeyOf } from '../external/rate-limit.js';
import { NO_STORE, pathOf, problemAnswer } from './error-handler.js';

/**
 * Counts only the requests that end in 404, so polling a real checkout is never throttled while
 * guessing ids (or paths) quickly runs out of attempts.
 */
function createNotFoundGuard(app: FastifyInstance, options: { max: number; windowMs: number }) {
  const limiter = app.createRateLimit({
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: (request) => `not-found:${clientKeyOf(request)}`,
  });
  return {
    /**
     * Counts a request that ended in 404, after the lookup: the 429 to answer instead once the
     * budget is spent, else undefined. Counting after the lookup rather than checking before it
     * spares every read of a real checkout a limiter call, and a client past its budget can still
     * follow its own.
     */
    async countNotFound(request: FastifyRequest): Promise<RateLimitedError | undefined> {
      const state = await limiter(request);
      if (state.isAllowed || !state.isExceeded) return undefined;
      return new RateLimitedError(Math.max(1, state.ttlInSeconds), 'Too many requests for checkouts or paths that do not exist', options.max);
    },
  };
}

export type NotFoundGuard = ReturnType<typeof createNotFoundGuard>;

/** Unknown paths answer problem+json too, and every 404 counts against the caller's 404 budget. */
export const notFoundPlugin = fp(
  (app: FastifyInstance, options: { max: number; windowMs: number }) => {
    const guard = createNotFoundGuard(app, options);
    app.decorate('notFoundGuard', guard);
    app.setNotFoundHandler(async (request, reply) => {
      // Like every checkout answer: a cache must not keep a 404 (or its 429) for a path beside them.
      reply.header('cache-control', NO_STORE);
      const refused = await guard.countNotFound(request);
      if (refused) throw refused;
      return problemAnswer(request, reply, {
        code: 'not-found',
        status: 404,
        detail: `There is no ${request.method} ${pathOf(request)} endpoint. See /docs.`,
      });
    });
    return Promise.resolve();
  },
  { name: 'not-found', dependencies: ['rate-limit', 'error-handler'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    notFoundGuard: NotFoundGuard;
  }
}
