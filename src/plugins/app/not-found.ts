import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../../errors/app-errors.js';
import { sendProblem } from './error-handler.js';

/**
 * Counts only the requests that end in 404, so polling a real checkout is never throttled while
 * guessing ids (or paths) quickly runs out of attempts.
 */
function createNotFoundGuard(app: FastifyInstance, options: { max: number; windowMs: number }) {
  const limiter = app.createRateLimit({
    max: options.max,
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
    /**
     * After a lookup that ended in 404: counts it, and throws a 429 instead of `notFound` once the
     * budget is spent. Counting after the lookup rather than checking before it spares every read
     * of a real checkout a limiter call, and a client past its budget can still follow its own.
     */
    async refuseNotFound(request: FastifyRequest, notFound: Error): Promise<never> {
      const state = await limiter(request);
      if (!state.isAllowed && state.isExceeded) throw new RateLimitedError(Math.max(1, state.ttlInSeconds));
      throw notFound;
    },
  };
}

export type NotFoundGuard = ReturnType<typeof createNotFoundGuard>;

/** Unknown paths answer problem+json too, and every 404 counts against the caller's 404 budget. */
export const notFoundPlugin = fp(
  (app: FastifyInstance, options: { max: number; windowMs: number }) => {
    const guard = createNotFoundGuard(app, options);
    app.decorate('notFoundGuard', guard);
    app.setNotFoundHandler(
      { preHandler: async (request: FastifyRequest) => guard.assertAllowed(request) },
      async (request, reply) => {
        await guard.recordNotFound(request);
        return sendProblem(request, reply, {
          code: 'not-found',
          status: 404,
          detail: `There is no ${request.method} ${request.url.split('?')[0] ?? '/'} endpoint. See /docs.`,
        });
      },
    );
    return Promise.resolve();
  },
  { name: 'not-found', dependencies: ['rate-limit', 'error-handler'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    notFoundGuard: NotFoundGuard;
  }
}
