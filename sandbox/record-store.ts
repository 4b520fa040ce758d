import { LRUCache } from 'lru-cache';

/*
 * The simulator's memory (tokens, sessions, payment requests): one lru-cache per kind, capped (the
 * least recently used record goes first) and expiring, so a standalone sandbox running for days
 * cannot grow without limit. It reads the simulator's clock, so a test moves time by hand.
 */

export interface RecordStoreOptions {
  /** Most records kept. */
  max: number;
  /** A record is gone once it is this old. */
  ttlMs: number;
  /** Epoch milliseconds; the simulator's injectable clock. */
  now: () => number;
}

export type RecordStore<V extends object> = LRUCache<string, V>;

export function createRecordStore<V extends object>({ max, ttlMs, now }: RecordStoreOptions): RecordStore<V> {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  if (!Number.isInteger(ttlMs) || ttlMs < 2) throw new RangeError('a record lifetime must be at least 2 ms');
  // lru-cache reads a start time of 0 as "no expiry", so its clock counts from 1 at creation.
  const origin = now();
  return new LRUCache<string, V>({
    // A size of 1 per record caps the count like `max`, without allocating room for `max` records
    // up front (lru-cache's README, "Storage Bounds Safety"): every test starts a simulator.
    maxSize: max,
    sizeCalculation: () => 1,
    // lru-cache drops a record once its age is over ttl; expires_in = 299 means unusable at 299 s.
    ttl: ttlMs - 1,
    // Read the clock on every check, never a cached value: a test moves it between two calls.
    ttlResolution: 0,
    perf: { now: () => now() - origin + 1 },
  });
}
