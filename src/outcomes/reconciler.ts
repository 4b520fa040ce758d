import type { FastifyBaseLogger } from 'fastify';
import type { RecordKeeper } from '../checkout/records.js';
import { OverloadedError, UpstreamRejectedError, UpstreamUnavailableError } from '../errors/app-errors.js';
import type { CheckoutStatus } from '../checkout/schemas.js';
import type { CallContext } from '../upstream/flinks-pay/client.js';
import { again, done, type JobQueue, type StepResult } from './job-queue.js';
import type { OutcomeMetrics } from './metrics.js';
import type { OutcomeStore } from './outcome-store.js';
import type { OutcomeRecord } from './schemas.js';

export interface ReconcilePolicy {
  /** Pause before the first read; each following pause doubles, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** A checkout older than this is no longer read (RECONCILE_MAX_AGE_HOURS). */
  maxAgeMs: number;
  /** A checkout read this recently by anyone (a status read, a stream) needs no read yet. */
  freshForMs: number;
}

export interface ReconcileJob {
  requestId: string;
  /** Epoch ms the checkout was created. */
  createdAt: number;
  /** Reads done (or skipped) so far; sets the next pause. */
  step: number;
}

export const reconcileJobId = (requestId: string) => `rec_${requestId}`;

/**
 * How long a reconciliation job waits for its checkout's record. The two are written at the same
 * time (createRecordKeeper), so a job may run before its record has landed, or while an instance
 * keeps the record in its backlog during a store outage; a job still without a record after this
 * takes its checkout as forgotten (expired, evicted, or never recorded: its instance died first).
 */
export const RECORD_WAIT_MS = 10 * 60 * 1000;

/**
 * Starts the record of every checkout created here and its reconciliation: the record and the job
 * are written at once rather than one after the other, one store round trip instead of two before
 * the checkout is answered. Both writes are idempotent, so a record kept during a store outage
 * (checkout/records.ts) is simply started again.
 */
export function createRecordKeeper(store: OutcomeStore, queue: JobQueue<ReconcileJob>, firstDelayMs: number): RecordKeeper {
  return {
    async start(requestId, { referenceId, createdAt }) {
      await Promise.all([
        store.create({ requestId, referenceId, at: createdAt }),
        queue.add(reconcileJobId(requestId), { requestId, createdAt, step: 0 }, firstDelayMs),
      ]);
    },
    recordedOf: (requestId) => store.recordedOf(requestId),
  };
}

/** The pause after `step` steps: first, 2×first, 4×first … up to the maximum. */
function reconcileDelay(policy: ReconcilePolicy, step: number): number {
  return Math.min(policy.firstDelayMs * 2 ** Math.min(step, 40), policy.maxDelayMs);
}

export interface ReconcilerDeps {
  store: OutcomeStore;
  /** The shared status read (single flight, status cache, outcome hook) with source `reconcile`. */
  read: (ctx: CallContext, requestId: string) => Promise<CheckoutStatus>;
  /** Makes sure the final status's merchant event is queued (nothing when it is queued or was attempted already). */
  ensureDelivered: (record: OutcomeRecord) => Promise<void>;
  policy: ReconcilePolicy;
  metrics: OutcomeMetrics;
  log: FastifyBaseLogger;
  now: () => number;
}

/**
 * One reconciliation step for one checkout: read its status from Flinks unless it is final or was
 * read moments ago, then come back later, backing off, until it is final or too old.
 */
export function createReconcileStep({ store, read, ensureDelivered, policy, metrics, log, now }: ReconcilerDeps) {
  return async (job: ReconcileJob): Promise<StepResult<ReconcileJob>> => {
    const ctx: CallContext = { log: log.child({ requestId: `reconcile-${job.requestId}` }), requestId: `reconcile-${job.requestId}` };
    const record = await store.get(job.requestId);
    if (!record) {
      if (now() - job.createdAt < RECORD_WAIT_MS) {
        metrics.reconcileSteps.inc({ outcome: 'unrecorded' });
        return again(policy.firstDelayMs, job);
      }
      metrics.reconcileSteps.inc({ outcome: 'forgotten' });
      return done;
    }
    if (record.final) {
      metrics.reconcileSteps.inc({ outcome: 'final' });
      await ensureDelivered(record);
      return done;
    }
    const at = now();
    const next = (step: number, minDelayMs = 0): StepResult<ReconcileJob> => {
      const delay = Math.max(reconcileDelay(policy, step), minDelayMs);
      return again(delay, { ...job, step });
    };
    if (at - job.createdAt >= policy.maxAgeMs) {
      metrics.reconcileSteps.inc({ outcome: 'expired' });
      ctx.log.warn(
        { checkout: job.requestId, status: record.status },
        'reconciliation gave up: the checkout is older than RECONCILE_MAX_AGE_HOURS and still not final',
      );
      return done;
    }
    if (at - Date.parse(record.observedAt) < policy.freshForMs) {
      metrics.reconcileSteps.inc({ outcome: 'skipped' });
      return next(job.step + 1);
    }
    try {
      const status = await read(ctx, job.requestId);
      metrics.reconcileSteps.inc({ outcome: 'read' });
      if (!status.final) return next(job.step + 1);
      const latest = await store.get(job.requestId);
      if (latest?.final) await ensureDelivered(latest);
      return done;
    } catch (error) {
      metrics.reconcileSteps.inc({ outcome: 'failed' });
      if (error instanceof UpstreamUnavailableError || error instanceof OverloadedError) {
        // The circuit is open or Flinks is saturated: wait it out without spending a backoff step.
        const retryAfterMs = Number(error.headers['retry-after'] ?? '1') * 1000;
        return next(job.step, retryAfterMs);
      }
      // Flinks answers 404 for a request it created moments ago only by mistake; keep asking until too old.
      const level = error instanceof UpstreamRejectedError && error.upstreamStatus === 404 ? 'warn' : 'info';
      ctx.log[level]({ err: error, checkout: job.requestId }, 'reconciliation read failed; trying again later');
      return next(job.step + 1);
    }
  };
}
