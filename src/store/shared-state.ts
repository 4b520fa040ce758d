import type { FastifyBaseLogger } from 'fastify';
import { createMemoryStore } from './memory-store.js';
import type { SharedState } from './shared-store.js';

/** Redis when a URL is configured (state shared by every instance), otherwise bounded memory. */
export async function createSharedState(
  redisConfig: { url: string; keyPrefix: string } | undefined,
  /** Entries the in-memory store keeps at most (the idempotency keys: two per keyed checkout). */
  memoryMaxEntries: number,
  log: FastifyBaseLogger,
): Promise<SharedState> {
  if (!redisConfig) {
    const store = createMemoryStore({ maxEntries: memoryMaxEntries });
    return { store, cameBackWithin: () => false, connect: () => Promise.resolve(), close: () => store.close() };
  }
  // Loaded only here: a single instance without Redis never loads ioredis (a quarter of a second
  // at start, and its code in memory).
  const { createRedisState } = await import('./redis-state.js');
  return createRedisState(redisConfig, log);
}
