import type { FastifyBaseLogger } from 'fastify';
import type { CheckoutStatus } from '../checkout/schemas.js';
import { createStoreRetries } from '../store/store-retries.js';
import type { Observation } from './outcome-store.js';
import { RECORD_WAIT_MS } from './reconciler.js';

interface Unnoted {
  status: CheckoutStatus;
  observation: Observation;
}

export interface UnnotedObservationsOptions {
  log: FastifyBaseLogger;
  /** Notes one observation in the checkout's record (see outcome-delivery.ts); false when there is no record. */
  note: (status: CheckoutStatus, observation: Observation, catchingUp: true) => Promise<boolean>;
  now: () => number;
}

/**
 * Status observations the store failed to take, kept per checkout in the order they were seen and
 * noted in that order once the store answers again. Each status the merchant is told of is a
 * change in the record, and the record only moves forward: during an outage a checkout read as
 * Accepted, then Settled, must be noted as both, Accepted first, or the merchant never hears of
 * Accepted. Only the first sighting of a status is kept, so its event carries the moment it was seen.
 */
export function createUnnotedObservations({ log, note, now }: UnnotedObservationsOptions) {
  const retries = createStoreRetries({ what: 'status changes', log });
  const waiting = new Map<string, Unnoted[]>();

  /**
   * Notes what waits for `requestId`, oldest first; stops (the rest stay) at the first failure,
   * and resolves to false (try again later) while the checkout's record is not written yet.
   */
  async function noteInOrder(requestId: string): Promise<boolean> {
    const list = waiting.get(requestId) ?? [];
    for (let next = list[0]; next !== undefined; next = list[0]) {
      const recorded = await note(next.status, next.observation, true);
      // Without its record yet, it waits as long as a reconcile job would: a checkout created during
      // the outage has its record written by another retry (records.ts), which may come after this one.
      if (!recorded && now() - next.observation.at < RECORD_WAIT_MS) return false;
      if (!recorded) log.warn({ checkout: requestId, status: next.status.status }, 'a status change found no record to note it in');
      list.shift();
    }
    waiting.delete(requestId);
    return true;
  }

  return {
    /** Whether observations of this checkout wait: a newer one must wait behind them, not overtake them. */
    has: (requestId: string): boolean => waiting.has(requestId),

    /** Keeps an observation for later, after those of its checkout; false when too many checkouts wait already. */
    keep(status: CheckoutStatus, observation: Observation): boolean {
      // A checkout with observations waiting has its write waiting too (or running: it reads the list as it goes).
      const list = waiting.get(status.requestId);
      if (list) {
        if (!list.some((kept) => kept.status.status === status.status)) list.push({ status, observation });
        return true;
      }
      if (!retries.add(status.requestId, () => noteInOrder(status.requestId))) return false;
      waiting.set(status.requestId, [{ status, observation }]);
      return true;
    },

    /** One last attempt (on shutdown); resolves to how many checkouts still have observations not noted. */
    flush: (): Promise<number> => retries.flush(),
  };
}
