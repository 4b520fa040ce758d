import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { createBullQueue, limiterFor } from './bullmq-queue.js';
import type { JobQueue } from './job-queue.js';
import type { OutcomeStoreLimits } from './outcome-store.js';
import { createOutcomeRedis } from './redis-connections.js';
import { createRedisOutcomeStore } from './redis-outcome-store.js';

export interface QueueSettings {
  concurrency: number;
  maxPerSecond?: number;
  keepCompletedMs: number;
  keepFailedMs: number;
}

/**
 * Outcome delivery on Redis (REDIS_URL): the records, the BullMQ queues shared by every instance and
 * the connections they need. Loaded only with Redis, so a single instance never loads BullMQ.
 */
export function createRedisBackend(redis: { url: string; keyPrefix: string; shared: Redis }, limits: OutcomeStoreLimits, log: FastifyBaseLogger) {
  const connections = createOutcomeRedis(redis.url, log);
  return {
    store: createRedisOutcomeStore(redis.shared, redis.keyPrefix, limits),
    queue<D>(name: string, settings: QueueSettings): JobQueue<D> {
      return createBullQueue<D>({
        name,
        producer: connections.producer,
        workerConnection: connections.worker,
        prefix: `${redis.keyPrefix}bull`,
        concurrency: settings.concurrency,
        ...(settings.maxPerSecond === undefined ? {} : { limiter: limiterFor(settings.maxPerSecond) }),
        keepCompletedMs: settings.keepCompletedMs,
        keepFailedMs: settings.keepFailedMs,
        log,
      });
    },
    /** Status changes from other instances, for this one's event streams. */
    liveUpdates: { publisher: redis.shared, subscriber: connections.subscriber, channel: `${redis.keyPrefix}status-changes` },
    close: () => connections.close(),
  };
}
