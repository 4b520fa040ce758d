import type { PaymentStatus } from './statuses.js';

/*
 * GET /api/v1/paymentrequests/{requestId} has two documented bodies (shared/flinks-pay-api.md
 * §2.4): an older reference sample `{ requestId, status, ReferenceId, PaymentLink }` (PascalCase
 * exactly as shown) and a later one `{ id, status, paymentReferenceNumber }`. A simulator instance
 * answers one of them, so a client can be tested against each. `statusDetails` carries the reason
 * of a Failed request (§4) in both.
 */

export const STATUS_SHAPES = ['legacy', 'current'] as const;
export type StatusShape = (typeof STATUS_SHAPES)[number];

export interface PaymentView {
  requestId: string;
  status: PaymentStatus;
  referenceId: string;
  paymentLink: string;
  paymentReferenceNumber: string;
  statusDetails: string | undefined;
}

export function statusBody(shape: StatusShape, view: PaymentView): Record<string, string> {
  const details: Record<string, string> = view.statusDetails === undefined ? {} : { statusDetails: view.statusDetails };
  if (shape === 'current') {
    return { id: view.requestId, status: view.status, paymentReferenceNumber: view.paymentReferenceNumber, ...details };
  }
  return { requestId: view.requestId, status: view.status, ReferenceId: view.referenceId, PaymentLink: view.paymentLink, ...details };
}

/** `FLK-20260415-001`: the form of the documented sample, from the creation date and a counter. */
export function paymentReferenceNumber(createdAt: number, sequence: number): string {
  const day = new Date(createdAt).toISOString().slice(0, 10).replaceAll('-', '');
  return `FLK-${day}-${String(sequence).padStart(3, '0')}`;
}
