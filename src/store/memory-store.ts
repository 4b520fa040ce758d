import { LRUCache } from 'lru-cache';
import type { SharedStore } from './shared-store.js';

/** Single-instance store, bounded in entries; every entry expires. */
export function createMemoryStore(options: { maxEntries: number }): SharedStore {
  const cache = new LRUCache<string, string>({ max: options.maxEntries, ttlAutopurge: false });
  return {
    get: (key) => Promise.resolve(cache.get(key)),
    set(key, value, ttlMs) {
      cache.set(key, value, { ttl: ttlMs });
      return Promise.resolve();
    },
    setIfAbsent(key, value, ttlMs) {
      if (cache.has(key)) return Promise.resolve(false);
      cache.set(key, value, { ttl: ttlMs });
      return Promise.resolve(true);
    },
    delete(key) {
      cache.delete(key);
      return Promise.resolve();
    },
    isHealthy: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}
