import type { Redis } from 'ioredis';
import { redisScript } from './redis-script.js';
import { StoreUnavailableError, type SharedStore } from './shared-store.js';

const REPLACE_IF_EQUAL = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const REPLACE_IF_EQUAL_WHILE_ABSENT = `if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const DELETE_IF_EQUAL = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

/** SharedStore on Redis; any Redis failure surfaces as StoreUnavailableError. */
export function createRedisStore(redis: Redis, prefix: string): SharedStore {
  async function attempt<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new StoreUnavailableError('Redis is unavailable', { cause: error });
    }
  }
  const replaceIfEqual = redisScript(redis, REPLACE_IF_EQUAL);
  const replaceIfEqualWhileAbsent = redisScript(redis, REPLACE_IF_EQUAL_WHILE_ABSENT);
  const deleteIfEqual = redisScript(redis, DELETE_IF_EQUAL);
  return {
    get: (key) => attempt(async () => (await redis.get(prefix + key)) ?? undefined),
    set: (key, value, ttlMs) =>
      attempt(async () => {
        await redis.set(prefix + key, value, 'PX', ttlMs);
      }),
    setIfAbsent: (key, value, ttlMs) => attempt(async () => (await redis.set(prefix + key, value, 'PX', ttlMs, 'NX')) === 'OK'),
    setEachIfAbsent: (entries) =>
      attempt(async () => {
        // A transaction, not a plain pipeline: another client's commands could run between two of these.
        const transaction = redis.multi();
        for (const { key, value, ttlMs } of entries) transaction.set(prefix + key, value, 'PX', ttlMs, 'NX');
        const replies = (await transaction.exec()) ?? [];
        return replies.map(([error, reply]) => {
          if (error) throw error;
          return reply === 'OK';
        });
      }),
    delete: (key) =>
      attempt(async () => {
        await redis.del(prefix + key);
      }),
    replaceIfEqual: (key, expected, value, ttlMs) => attempt(async () => (await replaceIfEqual([prefix + key], [expected, value, ttlMs])) === 1),
    replaceIfEqualWhileAbsent: (key, expected, value, ttlMs, absentKey) =>
      attempt(async () => (await replaceIfEqualWhileAbsent([prefix + key, prefix + absentKey], [expected, value, ttlMs])) === 1),
    deleteIfEqual: (key, expected) => attempt(async () => (await deleteIfEqual([prefix + key], [expected])) === 1),
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
      await redis.quit().catch(() => {
        redis.disconnect();
      });
    },
  };
}
