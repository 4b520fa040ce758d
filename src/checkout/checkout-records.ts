import { LRUCache } from 'lru-cache';

/** What this service remembers of a checkout it created: enough to answer status reads. */
export interface CheckoutRecord {
  referenceId: string;
}

export interface CheckoutRecords {
  remember(requestId: string, record: CheckoutRecord): Promise<void>;
  recall(requestId: string): Promise<CheckoutRecord | undefined>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Bounded in entries and age, so a long-running instance cannot grow without limit. */
export function createMemoryCheckoutRecords(options: { max?: number; ttlMs?: number } = {}): CheckoutRecords {
  const cache = new LRUCache<string, CheckoutRecord>({ max: options.max ?? 50_000, ttl: options.ttlMs ?? DAY_MS });
  return {
    remember(requestId, record) {
      cache.set(requestId, record);
      return Promise.resolve();
    },
    recall(requestId) {
      return Promise.resolve(cache.get(requestId));
    },
  };
}
