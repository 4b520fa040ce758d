/*
 * The statuses of a v1 payment request (shared/flinks-pay-api.md §4), spelled as Flinks sends them
 * (PascalCase).
 */

export const PAYMENT_STATUSES = ['Initiated', 'Processing', 'Accepted', 'Processed', 'Settled', 'Cancelled', 'Expired', 'Declined', 'Failed'] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export function isPaymentStatus(value: unknown): value is PaymentStatus {
  return (PAYMENT_STATUSES as readonly unknown[]).includes(value);
}
