import { z } from 'zod';
import { PaymentStatusSchema, type PaymentStatus } from '../upstream/flinks-pay/schemas.js';

/*
 * What this service keeps of every checkout it created: its last known status, each status seen
 * (when, and what caused the read), and each merchant webhook attempt with its answer. No customer
 * name or e-mail: an operator needs none of them, and a record that holds none cannot leak any.
 */

/** What made the service see a status: the checkout itself, a status read or stream poll, reconciliation, a Flinks webhook. */
const ObservationSourceSchema = z.enum(['created', 'read', 'reconcile', 'webhook']);
export type ObservationSource = z.infer<typeof ObservationSourceSchema>;

export const HistoryEntrySchema = z.object({
  status: PaymentStatusSchema,
  at: z.iso.datetime(),
  source: ObservationSourceSchema,
  reason: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const DeliveryAttemptSchema = z.object({
  webhookId: z.string(),
  status: PaymentStatusSchema,
  attempt: z.int().min(1),
  at: z.iso.datetime(),
  /** The merchant's HTTP status ("200", "503"), or what went wrong ("timeout", "connection failed", "cut off (the instance stopped)"). */
  answer: z.string(),
  durationMs: z.number().min(0),
  outcome: z.enum(['delivered', 'retrying', 'failed']),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;

export const OutcomeRecordSchema = z.object({
  requestId: z.string(),
  referenceId: z.string(),
  status: PaymentStatusSchema,
  final: z.boolean(),
  reason: z.string().optional(),
  createdAt: z.iso.datetime(),
  /** When the status last changed. */
  updatedAt: z.iso.datetime(),
  /** When the status was last read from Flinks, changed or not. */
  observedAt: z.iso.datetime(),
});
export type OutcomeRecord = z.infer<typeof OutcomeRecordSchema>;

/**
 * Statuses only move forward: Initiated → Processing → Accepted → Processed → Settled, or to one
 * of the failures. An answer that arrives late (a slow read overtaken by a newer one) is older
 * news, never a change.
 */
const STATUS_RANK: Readonly<Record<PaymentStatus, number>> = {
  Initiated: 0,
  Processing: 1,
  Accepted: 2,
  Processed: 3,
  Settled: 4,
  Cancelled: 4,
  Expired: 4,
  Declined: 4,
  Failed: 4,
};

export function statusRank(status: PaymentStatus): number {
  return STATUS_RANK[status];
}

/** The Standard Webhooks message id of one status change: the same on every retry and redelivery. */
export function webhookIdOf(requestId: string, status: PaymentStatus): string {
  return `msg_${requestId}_${status}`;
}
