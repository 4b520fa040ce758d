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

/** Deletes the part's keys (all under `prefix`) and closes the connection. */
export async function removeKeysAndDisconnect(redis: Redis, prefix: string): Promise<void> {
  for (let cursor = '0'; ;) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  redis.disconnect();
}

/** Commands the Redis at the other end has processed since it started (INFO stats): a turn's share is the difference. */
export async function commandsProcessed(redis: Redis): Promise<number> {
  const stats = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? Number.NaN);
}
