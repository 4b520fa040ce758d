import { Redis } from 'ioredis';

/** A connection to the Redis at `url`, or undefined when none answers there (the part is then skipped). */
export async function redisIfReachable(url: string): Promise<Redis | undefined> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch {
    redis.disconnect();
    return undefined;
  }
}
