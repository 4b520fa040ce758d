import type { FastifyBaseLogger } from 'fastify';
import { createRedisConnection } from './redis-connection.js';
import { createRedisStore } from './redis-store.js';
import type { SharedState } from './shared-store.js';

/** The shared state on Redis (REDIS_URL): every instance reads and writes the same keys. */
export function createRedisState(redisConfig: { url: string; keyPrefix: string }, log: FastifyBaseLogger): SharedState {
  const redis = createRedisConnection(redisConfig.url, log);
  const store = createRedisStore(redis, redisConfig.keyPrefix);
  // A connection that is ready again after it was lost (or after a failed first connect) is Redis back from an outage.
  let lost = false;
  let backAt: number | undefined;
  redis.on('close', () => {
    lost = true;
  });
  redis.on('ready', () => {
    if (lost) backAt = Date.now();
    lost = false;
  });
  return {
    store,
    redis,
    keyPrefix: redisConfig.keyPrefix,
    cameBackWithin: (ms) => backAt !== undefined && Date.now() - backAt < ms,
    connect: async () => {
      // Start even when Redis is down: keyed checkouts answer 503 and the client reconnects by itself.
      await redis.connect().catch((error: unknown) => {
        lost = true;
        log.warn({ err: error }, 'redis is not reachable yet; retrying in the background');
      });
    },
    close: () => store.close(),
  };
}
