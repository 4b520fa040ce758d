import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { createCheckoutIdempotency } from '../idempotency/checkout-idempotency.js';
import { createIdempotencyStore } from '../idempotency/idempotency-store.js';
import { createCheckoutInputResolver } from '../intent/checkout-input.js';
import type { IntentVerifier } from '../intent/verifier.js';
import type { SharedStore } from '../store/shared-store.js';
import type { FlinksPayClient } from '../upstream/flinks-pay/client.js';
import { createCheckoutRecords } from './checkout-records.js';
import { eventsRoute } from './events-route.js';
import { checkoutRoutes } from './routes.js';
import { createCheckoutService } from './service.js';
import { createStatusCache } from './status-cache.js';
import { createStatusTokenSource } from './status-token.js';
import { createStatusWatcher } from './status-watcher.js';
import { createDirectTokens, createTokenPool } from './token-pool.js';

export interface CheckoutModuleOptions {
  flinks: FlinksPayClient;
  store: SharedStore;
  resolveAppUrl: (request: FastifyRequest) => string;
  /** Present when signing is configured: amounts then come only from verified intents. */
  intentVerifier?: IntentVerifier;
  now: () => number;
  settings: {
    upstreamTimeoutMs: number;
    tokenPrefetch: { enabled: boolean; maxSize: number };
    statusCache: { ttlMs: number; finalTtlMs: number };
    events: { pollIntervalMs: number; heartbeatMs: number; maxWatched: number };
  };
}

const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
const STATUS_CACHE_MAX_ENTRIES = 10_000;

/** Everything behind /checkout, wired together: tokens, service, status reads, idempotency, events. */
export const checkoutModule: FastifyPluginAsync<CheckoutModuleOptions> = async (app, options) => {
  const { flinks, settings, now } = options;
  let tokens = createDirectTokens(flinks);
  if (settings.tokenPrefetch.enabled) {
    const pool = createTokenPool({
      flinks,
      log: app.log,
      maxSize: settings.tokenPrefetch.maxSize,
      now,
      onTake: (isHit) => {
        (isHit ? app.metrics.tokenPoolHits : app.metrics.tokenPoolMisses).inc();
      },
    });
    app.metrics.observeTokenPool(() => pool.size);
    tokens = pool;
  }

  const service = createCheckoutService({
    flinks,
    tokens,
    records: createCheckoutRecords(options.store, app.log),
    statusTokens: createStatusTokenSource(flinks, now),
  });
  const statuses = createStatusCache((ctx, requestId) => service.getCheckoutStatus(ctx, requestId), {
    ...settings.statusCache,
    maxEntries: STATUS_CACHE_MAX_ENTRIES,
  });
  const idempotency = createCheckoutIdempotency(
    createIdempotencyStore(options.store, {
      retentionMs: IDEMPOTENCY_RETENTION_MS,
      // Longer than a checkout can possibly run: at most five upstream calls, each bounded.
      claimTtlMs: 6 * settings.upstreamTimeoutMs + 30_000,
    }),
    () => {
      app.metrics.idempotencyReplays.inc();
    },
  );

  await app.register(checkoutRoutes, {
    service,
    readStatus: statuses.read,
    idempotency,
    resolveAppUrl: options.resolveAppUrl,
    resolveInput: createCheckoutInputResolver(options.intentVerifier),
  });
  await app.register(eventsRoute, {
    heartbeatMs: settings.events.heartbeatMs,
    watcher: createStatusWatcher({
      read: statuses.readFresh,
      intervalMs: settings.events.pollIntervalMs,
      maxWatched: settings.events.maxWatched,
      log: app.log,
    }),
  });
};
