import { LRUCache } from 'lru-cache';
import { upToEntries } from '../store/lru-bounds.js';

export interface RecentObservationsOptions {
  /** How long a status noted here answers for repeated reads of it; 0: every read is noted. */
  refreshMs: number;
  maxEntries: number;
  now: () => number;
}

/**
 * The status each checkout had when this instance last noted it in its record, for `refreshMs`.
 * A client polling a checkout whose status has not moved would otherwise write the record on
 * every read (a store round trip, to move `observedAt`); an unchanged status is no change to note,
 * so only its `observedAt` lags, by at most `refreshMs`. A different status is always noted.
 */
export function createRecentObservations({ refreshMs, maxEntries, now }: RecentObservationsOptions) {
  // lru-cache reads a ttl of 0 as "never expires": no window, nothing kept.
  const noted = refreshMs > 0 ? new LRUCache<string, string>({ ...upToEntries(maxEntries), ttl: refreshMs, ttlResolution: 0, perf: { now } }) : undefined;
  return {
    /** Whether this very status of the checkout was noted here at most `refreshMs` ago. */
    has: (requestId: string, status: string): boolean => noted?.get(requestId) === status,
    /** The store took this status (changed or not). */
    add: (requestId: string, status: string): void => {
      noted?.set(requestId, status);
    },
  };
}
