import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import type { DemoWebhooks } from './demo-webhooks.js';
import { createOutcomeDelivery, type OutcomeDelivery } from './outcome-delivery.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Outcome records (history, delivery attempts), reconciliation and merchant webhooks. */
    outcomes: OutcomeDelivery;
  }
}

/** Outcome delivery as the configuration (and, in sandbox mode, the demo's own wiring) asks for. */
export function outcomeDeliveryFor(app: FastifyInstance, config: Config, extras: { now: () => number; userAgent: string; demo?: DemoWebhooks }) {
  const settings = config.outcomes;
  const merchant = settings.merchantWebhook ?? extras.demo?.merchant;
  const flinksWebhookSecret = settings.flinksWebhook?.secret ?? extras.demo?.flinks.secret;
  const redis = app.shared.redis;
  return createOutcomeDelivery({
    reconcile: settings.reconcile,
    delivery: settings.delivery,
    ...(merchant ? { merchant } : {}),
    ...(flinksWebhookSecret === undefined ? {} : { flinksWebhookSecret }),
    ...(config.redis && redis ? { redis: { url: config.redis.url, keyPrefix: config.redis.keyPrefix, shared: redis } } : {}),
    memoryMaxEntries: config.memoryStoreMaxEntries,
    registry: app.metrics.registry,
    log: app.log,
    userAgent: extras.userAgent,
    now: extras.now,
  });
}
