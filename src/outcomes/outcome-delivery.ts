import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ObservationSource } from '../checkout/status-cache.js';
import type { CheckoutStatus } from '../checkout/schemas.js';
import type { StatusWatcher } from '../checkout/status-watcher.js';
import type { CallContext } from '../upstream/flinks-pay/client.js';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './closing.js';
import { createDeliveryStep, type DeliveryJob, type DeliveryPolicy } from './deliveries.js';
import { createFlinksHints } from './flinks-hints.js';
import { createFlinksSignatureVerifier } from './flinks-signature.js';
import type { JobQueue } from './job-queue.js';
import { createLiveUpdates, withLiveUpdates } from './live-updates.js';
import { createMemoryOutcomeStore } from './memory-outcome-store.js';
import { createMemoryQueue } from './memory-queue.js';
import { createMerchantEvents } from './merchant-events.js';
import { createMerchantSender } from './merchant-sender.js';
import { createOutcomeMetrics } from './metrics.js';
import { DEFAULT_LIMITS, type Observation, type OutcomeStore } from './outcome-store.js';
import { createRecentObservations } from './recent-observations.js';
import { createReconcileStep, createRecordKeeper, type ReconcileJob, type ReconcilePolicy } from './reconciler.js';
import type { QueueSettings } from './redis-backend.js';
import { createUnnotedObservations } from './unnoted-observations.js';
import type { OutcomeRecord } from './schemas.js';

/**
 * Checkouts whose last noted status this instance keeps (recent-observations.ts): those being read
 * repeatedly right now; one pushed out is simply noted on its next read.
 */
const RECENT_OBSERVATIONS = 10_000;

/**
 * How long a job that ended well stays in Redis (one that failed stays its queue's keepFailedMs). A
 * delivered merchant webhook's job is about 1.4 KB, a checkout's whole record 1.9 KB: kept for days,
 * the jobs would be most of the Redis memory a checkout holds. After the hour, the record's list of
 * delivery attempts (kept as long as the record) is what says an event was sent (ensureQueued).
 */
const KEEP_COMPLETED_JOBS_MS = 60 * 60 * 1000;

/**
 * On close, how long merchant requests in flight may still finish. Half the queues' close bound, so
 * that a step cut off after it still records its attempt and is put back for a retry.
 */
const SENDER_CLOSE_GRACE_MS = CLOSE_TIMEOUT_MS / 2;

/** Status reads answer only checkouts with a record, so no record is forgotten sooner. */
const MIN_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export type ReadForOutcome = (ctx: CallContext, requestId: string, source: ObservationSource) => Promise<CheckoutStatus>;

export interface OutcomeDeliveryOptions {
  reconcile: ReconcilePolicy & { concurrency: number; maxPerSecond: number };
  delivery: DeliveryPolicy & { timeoutMs: number; concurrency: number };
  /** Where merchant webhooks go and the secrets they are signed with; absent: none are sent. */
  merchant?: { url: string | (() => string); secrets: readonly string[] };
  /** The Flinks webhook secret; absent: POST /webhooks/flinks is off. */
  flinksWebhookSecret?: string;
  /** REDIS_URL and the key prefix; absent: one instance, everything in memory. */
  redis?: { url: string; keyPrefix: string; shared: Redis };
  memoryMaxEntries: number;
  registry: Registry;
  log: FastifyBaseLogger;
  userAgent: string;
  now?: () => number;
}

/**
 * Outcome delivery: a record of every checkout created here, reconciliation until its status is
 * final, Flinks webhooks as hints to read sooner, and each status change sent to the merchant as a
 * signed webhook, at least once. See docs/outcomes.md.
 */
export async function createOutcomeDelivery(options: OutcomeDeliveryOptions) {
  const { log } = options;
  const now = options.now ?? Date.now;
  const metrics = createOutcomeMetrics(options.registry);
  const limits = {
    ...DEFAULT_LIMITS,
    // Status reads answer only checkouts with a record: at least 7 days, longer when reconciliation runs longer.
    retentionMs: Math.max(options.reconcile.maxAgeMs, MIN_RETENTION_MS),
    minRetentionAfterWriteMs: options.delivery.maxAgeMs,
  };
  // Loaded only with Redis: a single instance never loads BullMQ and ioredis (a third of a second at
  // start, and their code in memory).
  const onRedis = options.redis ? (await import('./redis-backend.js')).createRedisBackend(options.redis, limits, log) : undefined;
  const store: OutcomeStore = onRedis?.store ?? createMemoryOutcomeStore({ ...limits, maxEntries: options.memoryMaxEntries, now });

  function queueOf<D>(name: string, settings: Omit<QueueSettings, 'keepCompletedMs'>): JobQueue<D> {
    if (onRedis) return onRedis.queue<D>(name, { ...settings, keepCompletedMs: KEEP_COMPLETED_JOBS_MS });
    return createMemoryQueue<D>({ name, concurrency: settings.concurrency, maxPerSecond: settings.maxPerSecond, maxJobs: options.memoryMaxEntries, log, now });
  }

  const reconcileQueue = queueOf<ReconcileJob>('reconcile', {
    concurrency: options.reconcile.concurrency,
    maxPerSecond: options.reconcile.maxPerSecond,
    keepFailedMs: 24 * 60 * 60 * 1000,
  });
  const deliveryQueue = options.merchant
    ? queueOf<DeliveryJob>('merchant-webhooks', { concurrency: options.delivery.concurrency, keepFailedMs: options.delivery.maxAgeMs })
    : undefined;
  const sender = options.merchant
    ? createMerchantSender({
        url: options.merchant.url,
        secrets: options.merchant.secrets,
        timeoutMs: options.delivery.timeoutMs,
        connections: options.delivery.concurrency,
        userAgent: options.userAgent,
        now,
      })
    : undefined;
  const live = createLiveUpdates({
    log,
    ...(onRedis ? { redis: onRedis.liveUpdates } : {}),
  });
  const verifySignature = options.flinksWebhookSecret === undefined ? undefined : createFlinksSignatureVerifier(options.flinksWebhookSecret);
  const flinksHints = createFlinksHints({ store, read: (ctx, requestId) => readFor(ctx, requestId, 'webhook'), metrics, now });
  const events = deliveryQueue && createMerchantEvents({ store, queue: deliveryQueue, policy: options.delivery, now });
  const ensureQueued = (record: OutcomeRecord): Promise<void> => events?.ensureQueued(record) ?? Promise.resolve();
  let read: ReadForOutcome | undefined;
  // A third of the window in which reconciliation takes a checkout as observed and skips its read,
  // so a checkout polled without pause keeps an observedAt fresh enough for it.
  const recentObservations = createRecentObservations({
    refreshMs: Math.floor(options.reconcile.freshForMs / 3),
    maxEntries: RECENT_OBSERVATIONS,
    now,
  });

  /**
   * Records an observation: a change goes to live streams and to the merchant. `catchingUp` (a
   * second attempt after the store failed the first): the record's status is queued even when
   * nothing changes now, since the first attempt may have made the change without queuing it.
   * False when the store holds no record of the checkout (not written yet, or forgotten).
   */
  async function note(status: CheckoutStatus, observation: Observation, catchingUp: boolean): Promise<boolean> {
    const result = await store.observe(status.requestId, observation);
    if (result === undefined) return false;
    if (result.changed) {
      metrics.statusChanges.inc({ source: observation.source });
      live.publish({ ...status, referenceId: result.record.referenceId });
      await events?.enqueue(result.record);
      return true;
    }
    if (!catchingUp) return true;
    const record = await store.get(status.requestId);
    // Initiated is where every record starts: no change, no event.
    if (record && record.status !== 'Initiated') await ensureQueued(record);
    return true;
  }

  const unnoted = createUnnotedObservations({ log, note, now });

  function keepUnnoted(status: CheckoutStatus, observation: Observation): void {
    if (!unnoted.keep(status, observation)) {
      log.error({ checkout: status.requestId }, 'too many status changes wait for the store; reconciliation will catch this one up');
    }
  }

  async function readFor(ctx: CallContext, requestId: string, source: ObservationSource): Promise<CheckoutStatus> {
    if (!read) throw new Error('outcome delivery has not started');
    return read(ctx, requestId, source);
  }

  return {
    store,
    metrics,

    /**
     * The record of every checkout created here, which status reads also answer from: starting one
     * starts its reconciliation.
     */
    records: createRecordKeeper(store, reconcileQueue, options.reconcile.firstDelayMs),

    /**
     * Notes a status read from Flinks: a change goes into the record, to live streams and to the
     * merchant. When the store fails it, it is noted again (every second, in this instance) until
     * the store takes it, after the checkout's earlier observations still waiting, in the order seen
     * (unnoted-observations.ts). The record's status is then queued for the merchant whether or not
     * this was the change: the store may have made the change but failed to say so (a command that
     * timed out here, not in Redis), or the change was made and its event not queued. An event
     * already queued or attempted is not queued again (ensureQueued). A status this instance noted
     * moments ago is not noted again (recent-observations.ts), unless an operator asked for the
     * read: the refresh answers the record, whose observedAt then says it happened.
     */
    observe: async (status: CheckoutStatus, cause: ObservationSource, requestLog: FastifyBaseLogger = log): Promise<void> => {
      if (cause !== 'operator' && recentObservations.has(status.requestId, status.status)) return;
      const observation = {
        status: status.status,
        final: status.final,
        ...(status.reason === undefined ? {} : { reason: status.reason }),
        source: cause === 'operator' ? 'read' : cause,
        at: now(),
      };
      // Behind the observations of this checkout the store has not taken yet, in the order seen.
      if (unnoted.has(status.requestId)) {
        keepUnnoted(status, observation);
        return;
      }
      try {
        await note(status, observation, false);
        recentObservations.add(status.requestId, status.status);
      } catch (error) {
        requestLog.error(
          { err: error, checkout: status.requestId, status: status.status },
          'could not record a status change; noted again once the store takes it',
        );
        keepUnnoted(status, observation);
      }
    },

    /** Checks a Flinks webhook signature; undefined when Flinks webhooks are off. */
    verifyFlinksSignature: verifySignature
      ? (rawBody: Buffer, header: string | undefined): boolean => {
          const valid = verifySignature(rawBody, header);
          if (!valid) metrics.flinksWebhooks.inc({ outcome: 'rejected' });
          return valid;
        }
      : undefined,

    /** Acts on a verified Flinks webhook in the background: at most a status read of the checkout it names. */
    onFlinksEvent: (ctx: CallContext, rawBody: Buffer): void => {
      flinksHints.handle(ctx, rawBody).catch((error: unknown) => {
        ctx.log.warn({ err: error }, 'a Flinks webhook-triggered read failed; reconciliation will catch up');
      });
    },

    /**
     * Sends the latest status event of a checkout again (merchant-events.ts); undefined when
     * merchant webhooks are off.
     */
    redeliver: events?.redeliver,

    /** The event-stream watcher, fed by changes observed anywhere. */
    withLiveUpdates: (watcher: StatusWatcher): StatusWatcher => withLiveUpdates(watcher, live),

    /** Starts the workers; `readStatus` is the shared status read that reports every observation. */
    start: (readStatus: ReadForOutcome): void => {
      read = readStatus;
      reconcileQueue.start(
        createReconcileStep({
          store,
          read: (ctx, requestId) => readFor(ctx, requestId, 'reconcile'),
          ensureDelivered: ensureQueued,
          policy: options.reconcile,
          metrics,
          log,
          now,
        }),
      );
      if (deliveryQueue && sender) deliveryQueue.start(createDeliveryStep({ sender, store, policy: options.delivery, metrics, log, now }));
    },

    close: async (): Promise<void> => {
      flinksHints.close();
      const left = await unnoted.flush();
      if (left > 0) log.error({ left }, 'status changes could not be noted before shutdown; reconciliation will catch them up');
      // The queues take no more steps, and the steps running get a moment: a merchant request cut
      // off after the merchant took it would be sent again. Past the grace, requests still waiting
      // end, and their jobs are retried (same webhook-id) by whoever runs next.
      const queuesClosed = Promise.all([reconcileQueue.close(), deliveryQueue?.close()]);
      await settlesWithin(queuesClosed, SENDER_CLOSE_GRACE_MS);
      await sender?.close();
      await queuesClosed;
      await live.close();
      await onRedis?.close();
    },
  };
}

export type OutcomeDelivery = Awaited<ReturnType<typeof createOutcomeDelivery>>;
