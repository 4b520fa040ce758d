import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

/**
 * Reconnects at once, then backing off to every 2 s: a store back from an outage is used again
 * within 2 s, which STORE_CATCH_UP_MS (checkout/records.ts) counts on. Every connection uses it.
 */
export const reconnectDelay = (attempt: number): number => Math.min(attempt * 200, 2000);

/**
 * A Redis connection that fails fast while Redis is away (no offline queue, short command
 * timeout) and reconnects by itself, so a Redis outage degrades requests instead of stalling them.
 */
export function createRedisConnection(url: string, log: FastifyBaseLogger): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    connectTimeout: 2000,
    retryStrategy: reconnectDelay,
  });
  let wasReady = false;
  redis.on('ready', () => {
    wasReady = true;
    log.info('redis connected');
  });
  redis.on('error', (error: Error) => {
    if (wasReady) log.warn({ err: error }, 'redis error');
  });
  redis.on('close', () => {
    if (wasReady) log.warn('redis connection lost; reconnecting');
    wasReady = false;
  });
  return redis;
}
