import type { FastifyInstance } from 'fastify';
import { createCheckoutFlow } from '../../checkout/create-checkout.js';
import { createStatusReader } from '../../checkout/read-status.js';
import { createCheckoutRecords, STORE_CATCH_UP_MS } from '../../checkout/records.js';
import { createStatusCache } from '../../checkout/status-cache.js';
import { createStatusWatcher } from '../../checkout/status-watcher.js';
import { createStreamLimits } from '../../checkout/stream-limits.js';
import type { Config } from '../../config/config.js';
import { createCheckoutInputResolver } from '../../intents/checkout-input.js';
import type { IntentVerification } from '../../intents/wiring.js';
import type { OutcomeDelivery } from '../../outcomes/outcome-delivery.js';
import { createCheckoutRoute } from './create.js';
import { checkoutEventsRoute } from './events.js';
import { checkoutStatusRoute } from './status.js';

/**
 * The checkout's three routes and what they share: its flow, the records status reads answer from,
 * status reads (cached, shared by concurrent readers, each reported to outcome delivery) and event
 * streams (bounded, fed by one poll per checkout and by outcome delivery's live updates).
 */
export async function registerCheckoutRoutes(
  app: FastifyInstance,
  config: Config,
  { outcomes, intents, appUrlFor, now }: { outcomes: OutcomeDelivery; intents: IntentVerification | undefined; appUrlFor: () => string; now: () => number },
) {
  const records = createCheckoutRecords(outcomes.records, app.log, {
    isCatchingUp: () => app.shared.cameBackWithin(STORE_CATCH_UP_MS),
  });
  // Before outcome delivery's queues close (onClose runs last-registered first): the records kept
  // during a store outage are written first.
  app.addHook('onClose', () => records.close());
  const statuses = createStatusCache(createStatusReader({ flinks: app.flinksPay, records }), {
    ...config.statusCache,
    now,
    onObserved: outcomes.observe,
  });

  await app.register(createCheckoutRoute, {
    createCheckout: createCheckoutFlow({
      flinks: app.flinksPay,
      records,
      callBudgetMs: config.longestCheckoutMs,
      callTimeoutMs: config.upstream.timeoutMs,
      now,
    }),
    resolveInput: createCheckoutInputResolver(intents?.verifier),
    appUrlFor,
  });
  await app.register(checkoutStatusRoute, { readStatus: statuses.read, rateLimit: config.statusRateLimit });
  const watcher = outcomes.withLiveUpdates(
    createStatusWatcher({
      read: statuses.read,
      poll: statuses.readFresh,
      intervalMs: config.events.pollIntervalMs,
      maxWatched: config.events.maxWatched,
      log: app.log,
    }),
  );
  const streamLimits = createStreamLimits({ maxStreams: config.events.maxStreams, maxPerClient: config.events.maxStreamsPerClient });
  app.metrics.observeEventStreams(() => ({ streams: streamLimits.size().streams, ...watcher.size() }));
  await app.register(checkoutEventsRoute, { watcher, limits: streamLimits, rateLimit: config.statusRateLimit });
  return { readFresh: statuses.readFresh };
}
