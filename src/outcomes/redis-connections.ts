import type { FastifyBaseLogger } from 'fastify';
import { Redis, type RedisOptions } from 'ioredis';
import { reconnectDelay } from '../store/redis-connection.js';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './closing.js';

/**
 * The Redis connections of outcome delivery, beside the shared store's: BullMQ needs a producer
 * that fails fast (a checkout never waits on Redis), workers whose blocking reads are retried
 * forever, and a subscriber for status changes from other instances.
 */
export function createOutcomeRedis(url: string, log: FastifyBaseLogger) {
  const made: Redis[] = [];
  const connect = (options: RedisOptions) => {
    const redis = new Redis(url, { retryStrategy: reconnectDelay, ...options });
    redis.on('error', (error: Error) => {
      log.debug({ err: error }, 'outcome delivery redis error');
    });
    made.push(redis);
    return redis;
  };
  const producer = connect({ enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 });
  const subscriber = connect({ maxRetriesPerRequest: null });
  return {
    producer,
    subscriber,
    /** A connection for one BullMQ worker (closed by the queue). */
    worker: () => {
      const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: reconnectDelay });
      redis.on('error', (error: Error) => {
        log.debug({ err: error }, 'outcome worker redis error');
      });
      return redis;
    },
    async close() {
      const graceful = Promise.all(
        made.map((redis) =>
          redis.quit().catch(() => {
            redis.disconnect();
          }),
        ),
      );
      if (!(await settlesWithin(graceful, CLOSE_TIMEOUT_MS))) for (const redis of made) redis.disconnect();
    },
  };
}
