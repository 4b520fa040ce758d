import { Counter, Histogram, type Registry } from 'prom-client';

/** Latency of one merchant webhook attempt, in seconds; the timeout bounds it. */
const ATTEMPT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Instruments of outcome delivery, on the service's registry (served at /metrics). */
export function createOutcomeMetrics(registry: Registry) {
  return {
    statusChanges: new Counter({
      name: 'checkout_status_changes_total',
      help: 'Status changes observed for checkouts created here, by what caused the read (read, reconcile, webhook).',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    reconcileSteps: new Counter({
      name: 'reconcile_steps_total',
      help: 'Reconciliation steps: read (asked Flinks), skipped (read moments ago), failed, final, expired, unrecorded (no record yet), forgotten.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    flinksWebhooks: new Counter({
      name: 'flinks_webhooks_total',
      help: 'Flinks webhooks received: accepted (triggered a read), ignored (final or read moments ago), unknown (names no checkout created here), unreadable, rejected (bad signature).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveryAttempts: new Counter({
      name: 'merchant_webhook_attempts_total',
      help: 'Merchant webhook attempts: delivered (2xx), retrying (non-2xx, timeout or connection failure), failed (the last one: given up).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deliveryDuration: new Histogram({
      name: 'merchant_webhook_attempt_duration_seconds',
      help: "Time of one merchant webhook attempt until the merchant's answer (or the timeout).",
      buckets: ATTEMPT_BUCKETS,
      registers: [registry],
    }),
    deliveriesFailed: new Counter({
      name: 'merchant_webhooks_failed_total',
      help: 'Status-change events given up after MERCHANT_WEBHOOK_MAX_AGE_HOURS of retries: resend with npm run webhooks:redeliver.',
      registers: [registry],
    }),
  };
}

export type OutcomeMetrics = ReturnType<typeof createOutcomeMetrics>;
