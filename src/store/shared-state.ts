import type { FastifyBaseLogger } from 'fastify';
import { repeatedWarning } from '../observability/repeated-warning.js';
import { createMemoryStore } from './memory-store.js';
import type { SharedState } from './shared-store.js';

/** Redis when a URL is configured (state shared by every instance), otherwise bounded memory. */
export async function createSharedState(
  redisConfig: { url: string; keyPrefix: string } | undefined,
  /**
   * Keyed checkouts the in-memory store keeps the keys of, at most: as many as the in-memory
   * records hold, two entries each (the client's binding of the key, and its claim or answer).
   */
  memoryMaxCheckouts: number,
  log: FastifyBaseLogger,
): Promise<SharedState> {
  if (!redisConfig) {
    const maxEntries = 2 * memoryMaxCheckouts;
    const full = repeatedWarning(
      log,
      'in-memory store full: keyed checkouts are refused (503) until older idempotency keys expire; run with REDIS_URL, or give the instance more heap',
    );
    const store = createMemoryStore({
      maxEntries,
      onFull: () => {
        full({ maxEntries });
      },
    });
    return { store, cameBackWithin: () => false, connect: () => Promise.resolve(), close: () => store.close() };
  }
  // Loaded only here: a single instance without Redis never loads ioredis (a quarter of a second
  // at start, and its code in memory).
  const { createRedisState } = await import('./redis-state.js');
  return createRedisState(redisConfig, log);
}
