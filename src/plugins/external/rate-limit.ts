import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../../errors/app-errors.js';

export interface RateLimitOptions {
  max: number;
  windowMs: number;
  /** Shared counters, so a limit holds across instances; in memory per instance without. */
  redis?: Redis;
  keyPrefix?: string;
}

/**
 * The client every per-client limit counts (request rates, the 404 budget, open event streams): its
 * address, an IPv4-mapped one as IPv4 and an IPv6 one by its /64, as @fastify/rate-limit's default
 * does. Any IPv6 host may pick addresses freely within its /64, so counting full addresses would
 * give one client 2^64 budgets.
 */
export function clientKeyOf(request: FastifyRequest): string {
  // Node no longer knows the address of a client that hung up before it was first read.
  const address = request.ip as string | undefined;
  return address === undefined ? 'gone' : normalizeIP(address);
}

/**
 * Per-client limits. Routes opt in through `config.rateLimit`; the limiter's own 429 goes through
 * the error handler, so it is problem+json with Retry-After.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, options: RateLimitOptions) => {
    await app.register(fastifyRateLimit, {
      global: false,
      max: options.max,
      timeWindow: options.windowMs,
      // Not the plugin's default key: it throws for a client that hung up before its address was read.
      keyGenerator: clientKeyOf,
      errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
      ...(options.redis ? { redis: options.redis, nameSpace: `${options.keyPrefix ?? ''}rate-limit:` } : {}),
      // A Redis outage must not take checkouts down with it: requests pass unlimited meanwhile.
      skipOnError: true,
    });
  },
  { name: 'rate-limit' },
);
