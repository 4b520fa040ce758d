import type { FastifyBaseLogger } from 'fastify';
import { RecordsUnavailableError } from '../errors/app-errors.js';
import { createStoreRetries } from '../store/store-retries.js';
import type { PaymentStatus } from '../upstream/flinks-pay/schemas.js';

/** What this service remembers of a checkout it created: enough to answer status reads. */
export interface CheckoutRecord {
  referenceId: string;
  /** When it was created here (ms since the epoch); its record and its reconciliation start from it. */
  createdAt: number;
}

/** What a status read needs of a checkout created here: its order id, and its final status once one was seen. */
export interface RecordedCheckout {
  referenceId: string;
  /** The final status seen (it never changes again); absent while the checkout is open. */
  final?: { status: PaymentStatus; reason?: string };
}

export interface CheckoutRecords {
  /**
   * Throws RecordsUnavailableError when the records kept here during a store outage are too many
   * to take another: asked before a checkout calls Flinks, since one whose payment request was
   * made must never fail for want of its record.
   */
  assertRoom(): void;
  /**
   * Remembers a checkout just created. When the store cannot take it, the record is kept here and
   * written again until it can (beyond the backlog's size only by the checkouts already running).
   */
  remember(requestId: string, record: CheckoutRecord, requestLog?: FastifyBaseLogger): Promise<void>;
  /**
   * What is recorded of a checkout created here, undefined when this service never created it.
   * Throws RecordsUnavailableError when the store cannot answer: unknown is not the same as not found.
   */
  recordedOf(requestId: string): Promise<RecordedCheckout | undefined>;
  /** Writes the backlog one last time and stops retrying (on shutdown). */
  close(): Promise<void>;
}

/**
 * Where the records live: outcome delivery's record of each checkout (docs/outcomes.md), shared by
 * status reads, reconciliation and the operations console, so a checkout costs one record.
 */
export interface RecordKeeper {
  /** Starts the record of a checkout, and its reconciliation; harmless when called again for the same one. */
  start(requestId: string, record: CheckoutRecord): Promise<void>;
  /** Undefined when the checkout was not created here (or is forgotten); throws when the store cannot answer. */
  recordedOf(requestId: string): Promise<RecordedCheckout | undefined>;
}

/**
 * How long after the store came back from an outage a checkout not found answers 503, not 404:
 * every instance reconnects within about 2 s of Redis being back and then writes the records it
 * kept (retried every second), so until then a checkout made elsewhere during the outage may be
 * missing only for now.
 */
export const STORE_CATCH_UP_MS = 10_000;

export interface CheckoutRecordsOptions {
  /** Records held in memory while the store is down, at most; one more fails its checkout. */
  maxBacklog?: number;
  /** Pause between two attempts to write the backlog. */
  retryMs?: number;
  /**
   * Whether the store came back from an outage moments ago (STORE_CATCH_UP_MS): a checkout it does
   * not know yet may be one another instance still has to write, so it is unknown, not not found.
   */
  isCatchingUp?: () => boolean;
}

/**
 * The records of checkouts created here, shared by every instance. A checkout created while the
 * store is down still goes through: its record waits in this instance's memory (which answers
 * reads of it) until the store takes it, while other instances answer 503, not 404.
 */
export function createCheckoutRecords(keeper: RecordKeeper, log: FastifyBaseLogger, options: CheckoutRecordsOptions = {}): CheckoutRecords {
  /** Records the store has not taken yet, by requestId: this instance answers reads of them. */
  const backlog = new Map<string, CheckoutRecord>();
  const maxBacklog = options.maxBacklog ?? 10_000;
  const retries = createStoreRetries({ what: 'checkout records', log, retryMs: options.retryMs ?? 1000, maxPending: Number.POSITIVE_INFINITY });

  return {
    assertRoom() {
      if (retries.size >= maxBacklog) throw new RecordsUnavailableError({ detail: 'New checkouts cannot be recorded right now; retry shortly.' });
    },
    async remember(requestId, record, requestLog = log) {
      try {
        await keeper.start(requestId, record);
        return;
      } catch (error) {
        const write = async () => {
          await keeper.start(requestId, record);
          backlog.delete(requestId);
        };
        retries.add(requestId, write);
        requestLog.error({ err: error, checkout: requestId }, 'could not record a checkout; kept in memory and written once the store is back');
        backlog.set(requestId, record);
      }
    },
    async recordedOf(requestId) {
      const waiting = backlog.get(requestId);
      if (waiting) return { referenceId: waiting.referenceId };
      let recorded: RecordedCheckout | undefined;
      try {
        recorded = await keeper.recordedOf(requestId);
      } catch (error) {
        throw new RecordsUnavailableError({ cause: error });
      }
      if (recorded === undefined && options.isCatchingUp?.()) throw new RecordsUnavailableError();
      return recorded;
    },
    async close() {
      const lost = await retries.flush();
      if (lost === 0) return;
      log.error({ lost }, 'checkout records could not be written before shutdown');
      // Each by its order id: Flinks' end-of-day file is where such a checkout is found again.
      for (const [requestId, { referenceId }] of backlog) {
        log.error({ checkout: requestId, referenceId }, 'checkout record lost at shutdown; find it by its referenceId in Flinks');
      }
    },
  };
}
