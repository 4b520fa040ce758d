import type { RecordedCheckout } from '../checkout/records.js';
import type { PaymentStatus } from '../upstream/flinks-pay/schemas.js';
import type { ListPage, ListQuery } from './outcome-listing.js';
import type { DeliveryAttempt, HistoryEntry, ObservationSource, OutcomeRecord } from './schemas.js';

export interface Observation {
  status: PaymentStatus;
  final: boolean;
  reason?: string;
  source: ObservationSource;
  at: number;
}

/**
 * `changed` is true for exactly one observer of each new status, whichever instance it runs on;
 * only that one gets the record (to publish and deliver), so the many reads that find nothing new
 * cost no record read.
 */
export type ObserveResult = { changed: true; record: OutcomeRecord } | { changed: false };

/**
 * Outcome records: Redis with REDIS_URL (shared by every instance), bounded memory without. Every
 * change is atomic, so two instances reading the same new status cannot both count it as a change.
 */
export interface OutcomeStore {
  /** Starts the record of a checkout created here, at Initiated; nothing when it exists already. */
  create(input: { requestId: string; referenceId: string; at: number }): Promise<void>;
  get(requestId: string): Promise<OutcomeRecord | undefined>;
  /**
   * The merchant's order id of a checkout created here, and its final status once seen; undefined
   * when it was not created here (or is forgotten). One cheap lookup, for status reads.
   */
  recordedOf(requestId: string): Promise<RecordedCheckout | undefined>;
  /** Notes a status read from Flinks; undefined when the checkout was not created here (or is forgotten). */
  observe(requestId: string, observation: Observation): Promise<ObserveResult | undefined>;
  history(requestId: string): Promise<HistoryEntry[]>;
  recordDelivery(requestId: string, attempt: DeliveryAttempt): Promise<void>;
  deliveries(requestId: string): Promise<DeliveryAttempt[]>;
  /** The checkouts created here for a merchant order id, newest first. */
  findByReference(referenceId: string): Promise<string[]>;
  /** A page of records, newest first, of one order id or of all, optionally of one status (outcome-listing.ts). */
  list(query: ListQuery): Promise<ListPage>;
}

export interface OutcomeStoreLimits {
  /** How long a record lives after its checkout was created (RECONCILE_MAX_AGE_HOURS). */
  retentionMs: number;
  /** A record still being delivered lives at least this long after its last write (MERCHANT_WEBHOOK_MAX_AGE_HOURS). */
  minRetentionAfterWriteMs: number;
  /** Entries kept per record; the oldest go first. */
  maxHistory: number;
  maxDeliveries: number;
}

export const DEFAULT_LIMITS = { maxHistory: 20, maxDeliveries: 50 } as const;

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/** What a status read needs of a record (checkout/read-status.ts). */
export function recordedCheckoutOf({ referenceId, status, final, reason }: OutcomeRecord): RecordedCheckout {
  return final ? { referenceId, final: { status, ...(reason === undefined ? {} : { reason }) } } : { referenceId };
}
