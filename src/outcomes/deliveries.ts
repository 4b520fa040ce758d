import type { FastifyBaseLogger } from 'fastify';
import { again, done, type StepResult } from './job-queue.js';
import type { MerchantSender, StatusChangedEvent } from './merchant-sender.js';
import type { OutcomeMetrics } from './metrics.js';
import type { OutcomeStore } from './outcome-store.js';
import { isoOf } from './outcome-store.js';
import { webhookIdOf, type OutcomeRecord } from './schemas.js';

export interface DeliveryPolicy {
  /** The first retry's pause; each following one doubles, up to retryMaxMs. */
  retryFirstMs: number;
  retryMaxMs: number;
  /** An event is retried for this long after it was observed (MERCHANT_WEBHOOK_MAX_AGE_HOURS). */
  maxAgeMs: number;
}

export interface DeliveryJob {
  event: StatusChangedEvent;
  /** Attempts this job made so far (its retries back off by them). */
  attempts: number;
  /** Attempts of the same webhook-id before this job (a redelivery): the record numbers on from them. */
  attemptsBefore?: number;
  /** Epoch ms after which no further attempt is made. */
  notAfter: number;
}

/** The job (and webhook-id) of the change to a record's current status. */
export function deliveryJobOf(record: OutcomeRecord, policy: DeliveryPolicy, now: number, attemptsBefore = 0): { jobId: string; job: DeliveryJob } {
  const event: StatusChangedEvent = {
    type: 'checkout.status_changed',
    timestamp: record.updatedAt,
    data: {
      requestId: record.requestId,
      status: record.status,
      referenceId: record.referenceId,
      final: record.final,
      ...(record.reason === undefined ? {} : { reason: record.reason }),
    },
  };
  const job: DeliveryJob = { event, attempts: 0, notAfter: now + policy.maxAgeMs, ...(attemptsBefore > 0 ? { attemptsBefore } : {}) };
  return { jobId: webhookIdOf(record.requestId, record.status), job };
}

function retryDelay(policy: DeliveryPolicy, attempts: number): number {
  return Math.min(policy.retryFirstMs * 2 ** Math.min(attempts - 1, 40), policy.retryMaxMs);
}

/** One merchant webhook attempt; on failure the same event (same webhook-id) is retried, backing off. */
export function createDeliveryStep(deps: {
  sender: MerchantSender;
  store: OutcomeStore;
  policy: DeliveryPolicy;
  metrics: OutcomeMetrics;
  log: FastifyBaseLogger;
  now: () => number;
}) {
  const { sender, store, policy, metrics, log, now } = deps;
  return async (job: DeliveryJob, jobId: string): Promise<StepResult<DeliveryJob>> => {
    const { requestId, status } = job.event.data;
    const attemptOfJob = job.attempts + 1;
    const attempt = (job.attemptsBefore ?? 0) + attemptOfJob;
    const result = await sender.send(jobId, job.event);
    metrics.deliveryDuration.observe(result.durationMs / 1000);
    const nextDelay = retryDelay(policy, attemptOfJob);
    const outcome = result.delivered ? 'delivered' : now() + nextDelay > job.notAfter ? 'failed' : 'retrying';
    metrics.deliveryAttempts.inc({ outcome });
    const line = { checkout: requestId, status, webhookId: jobId, attempt, answer: result.answer, durationMs: result.durationMs };
    await store
      .recordDelivery(requestId, { webhookId: jobId, status, attempt, at: isoOf(now()), answer: result.answer, durationMs: result.durationMs, outcome })
      .catch((error: unknown) => {
        log.warn({ err: error, checkout: requestId }, 'could not record a merchant webhook attempt');
      });
    if (outcome === 'delivered') {
      log.info(line, 'merchant webhook delivered');
      return done;
    }
    if (outcome === 'failed') {
      metrics.deliveriesFailed.inc();
      log.error(line, 'merchant webhook failed for good; resend with `npm run webhooks:redeliver -- <requestId>`');
      return { kind: 'failed', reason: `no 2xx within MERCHANT_WEBHOOK_MAX_AGE_HOURS (last answer: ${result.answer})` };
    }
    log.warn({ ...line, retryInMs: nextDelay }, 'merchant webhook not delivered; retrying');
    return again(nextDelay, { ...job, attempts: attemptOfJob });
  };
}
