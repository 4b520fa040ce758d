import { LRUCache } from 'lru-cache';
import { upToEntries } from './lru-bounds.js';
import type { SharedStore } from './shared-store.js';

/** Single-instance store, bounded in entries; every entry expires. */
export function createMemoryStore(options: { maxEntries: number }): SharedStore {
  const cache = new LRUCache<string, string>({ ...upToEntries(options.maxEntries), ttlAutopurge: false });
  const storeIfAbsent = (key: string, value: string, ttlMs: number): boolean => {
    if (cache.has(key)) return false;
    cache.set(key, value, { ttl: ttlMs });
    return true;
  };
  return {
    get: (key) => Promise.resolve(cache.get(key)),
    set(key, value, ttlMs) {
      cache.set(key, value, { ttl: ttlMs });
      return Promise.resolve();
    },
    setIfAbsent: (key, value, ttlMs) => Promise.resolve(storeIfAbsent(key, value, ttlMs)),
    setEachIfAbsent: (entries) => Promise.resolve(entries.map(({ key, value, ttlMs }) => storeIfAbsent(key, value, ttlMs))),
    delete(key) {
      cache.delete(key);
      return Promise.resolve();
    },
    replaceIfEqual(key, expected, value, ttlMs) {
      if (cache.get(key) !== expected) return Promise.resolve(false);
      cache.set(key, value, { ttl: ttlMs });
      return Promise.resolve(true);
    },
    replaceIfEqualWhileAbsent(key, expected, value, ttlMs, absentKey) {
      if (cache.has(absentKey) || cache.get(key) !== expected) return Promise.resolve(false);
      cache.set(key, value, { ttl: ttlMs });
      return Promise.resolve(true);
    },
    deleteIfEqual(key, expected) {
      if (cache.get(key) !== expected) return Promise.resolve(false);
      cache.delete(key);
      return Promise.resolve(true);
    },
    isHealthy: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}
