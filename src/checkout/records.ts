import type { FastifyBaseLogger } from 'fastify';
import type { SharedStore } from '../store/shared-store.js';

/** What this service remembers of a checkout it created: enough to answer status reads. */
export interface CheckoutRecord {
  referenceId: string;
}

export interface CheckoutRecords {
  remember(requestId: string, record: CheckoutRecord): Promise<void>;
  recall(requestId: string): Promise<CheckoutRecord | undefined>;
}

/** A shopper may come back to a checkout days later; after that Flinks' own answer has to do. */
const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Checkout records in the shared store, so any instance can answer a status read. A store outage
 * only costs the referenceId of a status answer: it never fails a checkout or a status read.
 */
export function createCheckoutRecords(store: SharedStore, log: FastifyBaseLogger): CheckoutRecords {
  const keyOf = (requestId: string) => `checkout:${requestId}`;
  return {
    async remember(requestId, record) {
      try {
        await store.set(keyOf(requestId), record.referenceId, RETENTION_MS);
      } catch (error) {
        log.error({ err: error, checkout: requestId }, 'could not record a checkout');
      }
    },
    async recall(requestId) {
      try {
        const referenceId = await store.get(keyOf(requestId));
        return referenceId === undefined ? undefined : { referenceId };
      } catch (error) {
        log.warn({ err: error }, 'could not read a checkout record');
        return undefined;
      }
    },
  };
}
