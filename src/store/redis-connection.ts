import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

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
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
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
