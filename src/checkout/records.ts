import type { FastifyBaseLogger } from 'fastify';
import { RecordsUnavailableError } from '../errors/app-errors.js';
import type { SharedStore } from '../store/shared-store.js';

/** What this service remembers of a checkout it created: enough to answer status reads. */
export interface CheckoutRecord {
  referenceId: string;
}

export interface CheckoutRecords {
  /**
   * Remembers a checkout just created. When the store cannot take it, the record is kept here and
   * written again until it can; throws RecordsUnavailableError only when that backlog is full.
   */
  remember(requestId: string, record: CheckoutRecord): Promise<void>;
  /**
   * The record of a checkout created here, undefined when this service never created it. Throws
   * RecordsUnavailableError when the store cannot answer: unknown is not the same as not found.
   */
  recall(requestId: string): Promise<CheckoutRecord | undefined>;
  /** Writes the backlog one last time and stops retrying (on shutdown). */
  close(): Promise<void>;
}

/**
 * Status reads answer only checkouts with a record, so a record lives at least as long as anyone may
 * ask about its checkout: 7 days, the default RECONCILE_MAX_AGE_HOURS (168 h) of the contract.
 */
const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface CheckoutRecordsOptions {
  /** Records held in memory while the store is down, at most; one more fails its checkout. */
  maxBacklog?: number;
  /** Pause between two attempts to write the backlog. */
  retryMs?: number;
}

/**
 * Checkout records in the shared store, so any instance can answer a status read. A checkout
 * created while the store is down still goes through: its record waits in this instance's memory
 * (which answers reads of it) until the store takes it, while other instances answer 503, not 404.
 */
export function createCheckoutRecords(store: SharedStore, log: FastifyBaseLogger, options: CheckoutRecordsOptions = {}): CheckoutRecords {
  const maxBacklog = options.maxBacklog ?? 10_000;
  const retryMs = options.retryMs ?? 1000;
  const keyOf = (requestId: string) => `checkout:${requestId}`;
  const backlog = new Map<string, CheckoutRecord>();
  let retry: NodeJS.Timeout | undefined;
  let isWriting = false;
  let isClosed = false;

  function scheduleRetry(): void {
    if (retry || isWriting || isClosed) return;
    retry = setTimeout(() => {
      retry = undefined;
      void writeBacklog();
    }, retryMs).unref();
  }

  /** Writes the waiting records, oldest first, until the store fails again (then retries later). */
  async function writeBacklog(): Promise<void> {
    isWriting = true;
    try {
      for (const [requestId, record] of backlog) {
        await store.set(keyOf(requestId), record.referenceId, RETENTION_MS);
        backlog.delete(requestId);
      }
      log.info('checkout records kept during a store outage are written');
    } catch {
      // Still down: the next attempt follows.
    } finally {
      isWriting = false;
      if (backlog.size > 0) scheduleRetry();
    }
  }

  return {
    async remember(requestId, record) {
      try {
        await store.set(keyOf(requestId), record.referenceId, RETENTION_MS);
        return;
      } catch (error) {
        if (backlog.size >= maxBacklog) throw new RecordsUnavailableError({ cause: error });
        log.error({ err: error, checkout: requestId }, 'could not record a checkout; kept in memory and written once the store is back');
      }
      backlog.set(requestId, record);
      scheduleRetry();
    },
    async recall(requestId) {
      const waiting = backlog.get(requestId);
      if (waiting) return waiting;
      let referenceId;
      try {
        referenceId = await store.get(keyOf(requestId));
      } catch (error) {
        throw new RecordsUnavailableError({ cause: error });
      }
      return referenceId === undefined ? undefined : { referenceId };
    },
    async close() {
      isClosed = true;
      clearTimeout(retry);
      if (backlog.size === 0) return;
      await writeBacklog();
      if (backlog.size > 0) log.error({ lost: backlog.size }, 'checkout records could not be written before shutdown');
    },
  };
}
