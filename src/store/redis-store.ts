import type { Redis } from 'ioredis';
import { StoreUnavailableError, type SharedStore } from './shared-store.js';

/** SharedStore on Redis; any Redis failure surfaces as StoreUnavailableError. */
export function createRedisStore(redis: Redis, prefix: string): SharedStore {
  async function attempt<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailableError('Redis is unavailable', { cause: error });
    }
  }
  return {
    get: (key) => attempt(async () => (await redis.get(prefix + key)) ?? undefined),
    set: (key, value, ttlMs) =>
      attempt(async () => {
        await redis.set(prefix + key, value, 'PX', ttlMs);
      }),
    setIfAbsent: (key, value, ttlMs) => attempt(async () => (await redis.set(prefix + key, value, 'PX', ttlMs, 'NX')) === 'OK'),
    setEachIfAbsent: (entries) =>
      attempt(async () => {
        const pipeline = redis.pipeline();
        for (const { key, value, ttlMs } of entries) pipeline.set(prefix + key, value, 'PX', ttlMs, 'NX');
        const replies = (await pipeline.exec()) ?? [];
        return replies.map(([error, reply]) => {
          if (error) throw error;
          return reply === 'OK';
        });
      }),
    delete: (key) =>
      attempt(async () => {
        await redis.del(prefix + key);
      }),
    async isHealthy() {
      try {
        if (redis.status !== 'ready') return false;
        await redis.ping();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await redis.quit().catch(() => { redis.disconnect(); });
    },
  };
}
