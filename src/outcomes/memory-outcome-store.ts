import { LRUCache } from 'lru-cache';
import { upToEntries } from '../store/lru-bounds.js';
import type { DeliveryAttempt, HistoryEntry, OutcomeRecord } from './schemas.js';
import { statusRank } from './schemas.js';
import { isoOf, recordedCheckoutOf, type OutcomeStore, type OutcomeStoreLimits } from './outcome-store.js';
import { collectPage, isAfter, newestFirst, type ListPosition } from './outcome-listing.js';

interface Entry {
  record: OutcomeRecord;
  createdAtMs: number;
  history: HistoryEntry[];
  deliveries: DeliveryAttempt[];
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

/**
 * Outcome records of one instance (no REDIS_URL): bounded in entries, the least recently used
 * first to go, each expiring like its Redis twin. Lost on restart.
 */
export function createMemoryOutcomeStore(limits: OutcomeStoreLimits & { maxEntries: number; now?: () => number }): OutcomeStore {
  const now = limits.now ?? Date.now;
  // The checkouts of each order id, exactly those whose record is kept: a record leaves its order's
  // set when it is evicted or expires, so the index is bounded by maxEntries like the records, and
  // never cut short (a cap would let anyone hide an order's real payment behind newer checkouts
  // with the same referenceId).
  const byReference = new Map<string, Set<string>>();
  const entries = new LRUCache<string, Entry>({
    ...upToEntries(limits.maxEntries),
    perf: { now },
    ttlResolution: 0,
    dispose: (entry, requestId) => {
      unindexReference(entry.record.referenceId, requestId);
    },
  });

  function unindexReference(referenceId: string, requestId: string): void {
    const ids = byReference.get(referenceId);
    ids?.delete(requestId);
    if (ids?.size === 0) byReference.delete(referenceId);
  }

  function indexReference(referenceId: string, requestId: string): void {
    const ids = byReference.get(referenceId);
    if (ids) ids.add(requestId);
    else byReference.set(referenceId, new Set([requestId]));
  }

  // Every record by creation time, oldest first (listings walk it backwards); entries whose
  // record is gone are dropped when it has grown to twice the records kept.
  let byCreated: ListPosition[] = [];

  function indexCreated(position: ListPosition): void {
    if (byCreated.length >= 2 * limits.maxEntries) byCreated = byCreated.filter((p) => entries.has(p.requestId));
    // Creation times arrive almost in order: look for the place from the end.
    let index = byCreated.length;
    while (index > 0 && newestFirst(byCreated[index - 1] as ListPosition, position) < 0) index -= 1;
    byCreated.splice(index, 0, position);
  }

  /** Positions after `after`, newest first, in batches of `size`. */
  async function* batchesOf(positions: Iterable<ListPosition>, after: ListPosition | undefined, size: number): AsyncGenerator<ListPosition[]> {
    let batch: ListPosition[] = [];
    for (const position of positions) {
      if (!isAfter(position, after)) continue;
      batch.push(position);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    await Promise.resolve();
  }

  function* newestCreated(after: ListPosition | undefined): Generator<ListPosition> {
    // Binary search for the first entry at or past the cursor, then walk towards the oldest.
    let low = 0;
    let high = byCreated.length;
    while (after && low < high) {
      const middle = (low + high) >>> 1;
      if (isAfter(byCreated[middle] as ListPosition, after)) low = middle + 1;
      else high = middle;
    }
    for (let index = (after ? low : byCreated.length) - 1; index >= 0; index -= 1) yield byCreated[index] as ListPosition;
  }

  function ofReference(referenceId: string): ListPosition[] {
    return [...(byReference.get(referenceId) ?? [])]
      .flatMap((requestId) => {
        const entry = entries.peek(requestId);
        return entry ? [{ at: entry.createdAtMs, requestId }] : [];
      })
      .sort(newestFirst);
  }

  /** Keeps an entry for its retention, and while it is being delivered at least minRetentionAfterWriteMs more. */
  function touch(requestId: string, entry: Entry): void {
    const remaining = entry.createdAtMs + limits.retentionMs - now();
    entries.set(requestId, entry, { ttl: Math.max(remaining, limits.minRetentionAfterWriteMs, 1) });
  }

  return {
    create({ requestId, referenceId, at }) {
      if (entries.has(requestId)) return Promise.resolve();
      const iso = isoOf(at);
      const record: OutcomeRecord = { requestId, referenceId, status: 'Initiated', final: false, createdAt: iso, updatedAt: iso, observedAt: iso };
      entries.set(
        requestId,
        { record, createdAtMs: at, history: [{ status: 'Initiated', at: iso, source: 'created' }], deliveries: [] },
        { ttl: limits.retentionMs },
      );
      indexReference(referenceId, requestId);
      indexCreated({ at, requestId });
      return Promise.resolve();
    },
    get: (requestId) => Promise.resolve(entries.get(requestId)?.record),
    recordedOf(requestId) {
      const record = entries.get(requestId)?.record;
      return Promise.resolve(record && recordedCheckoutOf(record));
    },
    observe(requestId, { status, final, reason, source, at }) {
      const entry = entries.get(requestId);
      if (!entry) return Promise.resolve(undefined);
      const iso = isoOf(at);
      const current = entry.record;
      const changed = current.status !== status && !current.final && statusRank(status) >= statusRank(current.status);
      entry.record = changed
        ? { ...current, status, final, ...(reason === undefined ? { reason: undefined } : { reason }), updatedAt: iso, observedAt: iso }
        : { ...current, observedAt: iso };
      if (entry.record.reason === undefined) delete entry.record.reason;
      if (changed) pushBounded(entry.history, { status, at: iso, source, ...(reason === undefined ? {} : { reason }) }, limits.maxHistory);
      touch(requestId, entry);
      return Promise.resolve(changed ? { changed, record: entry.record } : { changed });
    },
    history: (requestId) => Promise.resolve([...(entries.get(requestId)?.history ?? [])]),
    recordDelivery(requestId, attempt) {
      const entry = entries.get(requestId);
      if (entry) {
        pushBounded(entry.deliveries, attempt, limits.maxDeliveries);
        touch(requestId, entry);
      }
      return Promise.resolve();
    },
    deliveries: (requestId) => Promise.resolve([...(entries.get(requestId)?.deliveries ?? [])]),
    // The 100 newest, like the Redis store's answer.
    findByReference: (referenceId) =>
      Promise.resolve(
        ofReference(referenceId)
          .slice(0, 100)
          .map((position) => position.requestId),
      ),
    list(query) {
      const positions = query.referenceId === undefined ? newestCreated(query.after) : ofReference(query.referenceId);
      // peek: listing must not make records look recently used (and keep them from eviction).
      const load = (ids: string[]) => Promise.resolve(ids.map((id) => entries.peek(id)?.record));
      return collectPage(batchesOf(positions, query.after, query.status === undefined ? query.limit : 100), load, query);
    },
  };
}
