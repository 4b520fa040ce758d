import { LRUCache } from 'lru-cache';
import { upToEntries } from './lru-bounds.js';
import { StoreFullError, type SharedStore } from './shared-store.js';

export interface MemoryStoreOptions {
  maxEntries: number;
  /** Called when a write of new keys is refused because the store is full (StoreFullError). */
  onFull?: () => void;
  /** The clock entries expire by, in milliseconds (tests pass their own). */
  now?: () => number;
}

/**
 * How often a full store looks for expired entries to drop. Looking means visiting every entry, so
 * a full store that looked on every refused write would spend O(entries) on each refusal, which is
 * when the instance is busiest; once a second, an expired entry's room comes back at most a
 * second late.
 */
const PURGE_INTERVAL_MS = 1000;

/**
 * Single-instance store, bounded in entries; every entry expires. Full, it refuses new keys instead
 * of evicting live ones, as Redis does under `noeviction`: an entry dropped early would be an
 * idempotency key forgotten (a retry paying twice) or a claim freed while its checkout runs.
 */
export function createMemoryStore(options: MemoryStoreOptions): SharedStore {
  const now = options.now ?? (() => performance.now());
  const cache = new LRUCache<string, string>({ ...upToEntries(options.maxEntries), ttlAutopurge: false, perf: { now } });
  let purgedAt = -Infinity;
  // Held, even expired but not dropped yet: writing it again adds no entry.
  const absent = (key: string): boolean => cache.peek(key, { allowStale: true }) === undefined;
  const storeIfAbsent = (key: string, value: string, ttlMs: number): boolean => {
    if (cache.has(key)) return false;
    cache.set(key, value, { ttl: ttlMs });
    return true;
  };
  /** Whether writing `keys` adds no more entries than fit, after dropping the expired ones if due. */
  const fits = (keys: readonly string[]): boolean => {
    const added = () => new Set(keys.filter(absent)).size;
    if (cache.size + added() <= options.maxEntries) return true;
    const at = now();
    if (at - purgedAt < PURGE_INTERVAL_MS) return false;
    purgedAt = at;
    cache.purgeStale();
    return cache.size + added() <= options.maxEntries;
  };
  /** A write of keys, some maybe new: refused (a rejection, as a Redis failure is) when they do not fit. */
  const writing = <T>(keys: readonly string[], write: () => T): Promise<T> => {
    // Counting which keys are new only matters near the cap.
    if (cache.size + keys.length > options.maxEntries && !fits(keys)) {
      options.onFull?.();
      return Promise.reject(new StoreFullError(`the in-memory store holds ${options.maxEntries} live entries`));
    }
    return Promise.resolve(write());
  };
  return {
    get: (key) => Promise.resolve(cache.get(key)),
    set: (key, value, ttlMs) =>
      writing([key], () => {
        cache.set(key, value, { ttl: ttlMs });
      }),
    setIfAbsent: (key, value, ttlMs) => writing([key], () => storeIfAbsent(key, value, ttlMs)),
    setEachIfAbsent: (entries) =>
      writing(
        entries.map(({ key }) => key),
        () => entries.map(({ key, value, ttlMs }) => storeIfAbsent(key, value, ttlMs)),
      ),
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
