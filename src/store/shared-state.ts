import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { createMemoryStore } from './memory-store.js';
import { createRedisConnection } from './redis-connection.js';
import { createRedisStore } from './redis-store.js';
import type { SharedStore } from './shared-store.js';

export interface SharedState {
  store: SharedStore;
  /** Present when REDIS_URL is set; the rate limiter keeps its counters there too. */
  redis?: Redis;
  keyPrefix?: string;
  /**
   * Whether the store came back from an outage (as this instance saw it) less than `ms` ago: other
   * instances may still be writing what they kept in memory meanwhile (checkout/records.ts).
   */
  cameBackWithin: (ms: number) => boolean;
  connect: () => Promise<void>;
  close: () => Promise<void>;
}

/** Redis when a URL is configured (state shared by every instance), otherwise bounded memory. */
export function createSharedState(
  redisConfig: { url: string; keyPrefix: string } | undefined,
  /** Entries the in-memory store keeps at most (the idempotency keys: two per keyed checkout). */
  memoryMaxEntries: number,
  log: FastifyBaseLogger,
): SharedState {
  if (!redisConfig) {
    const store = createMemoryStore({ maxEntries: memoryMaxEntries });
    return { store, cameBackWithin: () => false, connect: () => Promise.resolve(), close: () => store.close() };
  }
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
