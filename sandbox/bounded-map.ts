/*
 * A Map with a size cap and per-entry expiry. Every entry of one map gets the same TTL, so
 * insertion order is also expiry order: expired entries are always at the front, and the oldest
 * entry is the one to evict when full. That keeps every operation O(1) amortised.
 */

export interface Expiring {
  expiresAt: number;
}

export class BoundedMap<V extends Expiring> {
  readonly #entries = new Map<string, V>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(maxEntries: number, now: () => number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be >= 1');
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live entry, or undefined when missing or expired (an expired entry is dropped). */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    if (value.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#sweep();
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, value] of this.#entries) {
      if (value.expiresAt > now) return;
      this.#entries.delete(key);
    }
  }
}
