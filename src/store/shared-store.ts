import type { Redis } from 'ioredis';
/**
 * The little key-value surface idempotency records need (checkouts are recorded by outcome delivery).
 * In Redis when REDIS_URL is set (so every instance sees the same state), in memory otherwise.
 * Values are strings; callers own their encoding.
 */
export interface SharedStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Atomic: stores only when the key is absent; true when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * setIfAbsent of each entry, in one round trip and at once (no other call runs between two of
   * them); true for each entry this call stored, in order.
   */
  setEachIfAbsent(entries: readonly StoreEntry[]): Promise<boolean[]>;
  delete(key: string): Promise<void>;
  /** Atomic: replaces the value only while it is still `expected`; true when this call replaced it. */
  replaceIfEqual(key: string, expected: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Atomic: replaces the value only while it is still `expected` and `absentKey` does not exist;
   * true when this call replaced it.
   */
  replaceIfEqualWhileAbsent(key: string, expected: string, value: string, ttlMs: number, absentKey: string): Promise<boolean>;
  /** Atomic: deletes the key only while its value is still `expected`; true when this call deleted it. */
  deleteIfEqual(key: string, expected: string): Promise<boolean>;
  /** Whether the store can serve requests right now (for /ready). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreEntry {
  key: string;
  value: string;
  ttlMs: number;
}

/** The store cannot answer (Redis down or too slow); callers decide whether that is fatal. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * The in-memory store holds as many live entries as it may: it takes no new key until some expire,
 * rather than forget one (an idempotency key forgotten lets its retry pay a second time).
 */
export class StoreFullError extends StoreUnavailableError {
  override name = 'StoreFullError';
}

/** The shared store and, with Redis, its connection, as the app uses them. */
export interface SharedState {
  store: SharedStore;
  /** Present when REDIS_URL is set; the rate limiter keeps its counters there too. */
  redis?: Redis;
  keyPrefix?: string;
  /**
   * Whether the store came back from an outage (as this instance saw it) less than `ms` ago: other
   * instances may still be writing what they kept in memory meanwhile (checkout/records.ts).
   */
  cameBackWithin: (ms: number) => boolean;
  connect: () => Promise<void>;
  close: () => Promise<void>;
}
