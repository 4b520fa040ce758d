import { NothingToRedeliverError } from '../errors/app-errors.js';
import { deliveryJobOf, type DeliveryJob, type DeliveryPolicy } from './deliveries.js';
import type { JobQueue, RerunOutcome } from './job-queue.js';
import type { OutcomeStore } from './outcome-store.js';
import { webhookIdOf, type OutcomeRecord } from './schemas.js';

interface MerchantEventsDeps {
  store: OutcomeStore;
  /** The merchant-webhooks queue. A job that ended well is kept only a while (KEEP_COMPLETED_JOBS_MS, outcome-delivery.ts). */
  queue: JobQueue<DeliveryJob>;
  policy: DeliveryPolicy;
  now: () => number;
}

/**
 * The merchant's status events as jobs of the delivery queue: one per status a checkout reached,
 * its job id the event's webhook-id, so that queuing one twice is a no-op while its job is kept.
 */
export function createMerchantEvents({ store, queue, policy, now }: MerchantEventsDeps) {
  /** Queues the event of a change just recorded: the store says a change only once, so it was never queued. */
  async function enqueue(record: OutcomeRecord): Promise<void> {
    const { jobId, job } = deliveryJobOf(record, policy, now());
    await queue.add(jobId, job, 0);
  }

  /** How many attempts to deliver the event of the record's current status it lists (0: never attempted). */
  async function attemptsListed(record: OutcomeRecord): Promise<number> {
    const webhookId = webhookIdOf(record.requestId, record.status);
    const attempts = (await store.deliveries(record.requestId)).filter((attempt) => attempt.webhookId === webhookId);
    return Math.max(0, ...attempts.map(({ attempt }) => attempt));
  }

  return {
    enqueue,

    /**
     * Makes sure the event of a record's current status is queued, when it may have been already:
     * reconciliation finding a final status, a catch-up after the store failed. A job with its id
     * makes the add a no-op while it waits, runs or is kept; a delivered one is not kept for long,
     * so an event with an attempt in the record's list is not queued again.
     */
    ensureQueued: async (record: OutcomeRecord): Promise<void> => {
      if ((await attemptsListed(record)) > 0) return;
      await enqueue(record);
    },

    /**
     * Sends the latest status event of a checkout again (same webhook-id); undefined when there is
     * no such checkout, NothingToRedeliverError when no status event was sent for it yet.
     */
    redeliver: async (requestId: string): Promise<{ webhookId: string; outcome: RerunOutcome } | undefined> => {
      const record = await store.get(requestId);
      if (!record) return undefined;
      // A record starts at Initiated and a change never leads back to it: still Initiated, no
      // change was seen, so no event was ever queued, and "again" would send one the merchant never had.
      if (record.status === 'Initiated') throw new NothingToRedeliverError();
      // Its attempts go on from those listed, so the record's list numbers them in one sequence.
      const attemptsBefore = await attemptsListed(record);
      const { jobId, job } = deliveryJobOf(record, policy, now(), attemptsBefore);
      const outcome = await queue.rerun(jobId, job);
      // A delivered event's job is gone once its keeping time is over; adding it again still sends it again.
      return { webhookId: jobId, outcome: outcome === 'added' && attemptsBefore > 0 ? 'rerun' : outcome };
    },
  };
}
