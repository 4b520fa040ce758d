import { LRUCache } from 'lru-cache';
import { upToEntries } from '../store/lru-bounds.js';
import { createSingleFlight } from './single-flight.js';
import type { CallContext } from '../upstream/flinks-pay/client.js';
import type { ReadStatus } from './read-status.js';
import type { CheckoutStatus } from './schemas.js';

export interface StatusCacheOptions {
  /** How long a non-final status answers repeated reads (0: every read asks Flinks). */
  ttlMs: number;
  /** Final statuses never change; they are kept longer. */
  finalTtlMs: number;
  maxEntries: number;
  /** Clock in milliseconds for expiry (default performance.now), settable by tests. */
  now?: () => number;
  /**
   * Told of every status read from Flinks and what caused it, before the read answers (outcome
   * delivery: records, live streams, merchant webhooks), with the logger of the request that read
   * it. It must not throw.
   */
  onObserved?: (status: CheckoutStatus, source: ObservationSource, requestLog: CallContext['log']) => Promise<void>;
}

/**
 * What caused a status read: a client (status read or event-stream poll), reconciliation, a Flinks
 * webhook, an operator's refresh (recorded as a read, but always noted: outcome-delivery.ts).
 */
export type ObservationSource = 'read' | 'reconcile' | 'webhook' | 'operator';

/**
 * Status reads that scale with watchers, not with Flinks: concurrent reads of one checkout share
 * a single upstream call, and a short-lived cache answers repeated polls.
 */
export function createStatusCache(read: ReadStatus, options: StatusCacheOptions) {
  const cache = new LRUCache<string, CheckoutStatus>({
    ...upToEntries(options.maxEntries),
    // An injected clock is read on every lookup (no cached reading between timer ticks).
    ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
  });
  const shared = createSingleFlight<CheckoutStatus>();

  function fetchShared(ctx: CallContext, requestId: string, source: ObservationSource = 'read'): Promise<CheckoutStatus> {
    return shared(requestId, async () => {
      const status = await read(ctx, requestId);
      const ttl = status.final ? options.finalTtlMs : options.ttlMs;
      if (ttl > 0) cache.set(requestId, status, { ttl });
      await options.onObserved?.(status, source, ctx.log);
      return status;
    });
  }

  return {
    /** The cached status when there is one, else a (shared) upstream read. */
    read: (ctx: CallContext, requestId: string): Promise<CheckoutStatus> => {
      const cached = cache.get(requestId);
      return cached ? Promise.resolve(cached) : fetchShared(ctx, requestId);
    },
    /** Always asks Flinks (still shared with concurrent reads), and refreshes the cache; `source` says why. */
    readFresh: fetchShared,
  };
}
