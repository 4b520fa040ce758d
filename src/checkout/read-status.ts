import { CheckoutNotFoundError } from '../errors/app-errors.js';
import type { CallContext, FlinksPayClient } from '../upstream/flinks-pay/client.js';
import { isFinalStatus } from '../upstream/flinks-pay/schemas.js';
import type { CheckoutRecords } from './records.js';
import type { CheckoutStatus } from './schemas.js';

export type ReadStatus = (ctx: CallContext, requestId: string) => Promise<CheckoutStatus>;

/** A checkout's current status from Flinks, with the merchant's referenceId as recorded here. */
export function createStatusReader({ flinks, records }: { flinks: FlinksPayClient; records: CheckoutRecords }): ReadStatus {
  return async (ctx, requestId) => {
    const [record, payment] = await Promise.all([records.recall(requestId), flinks.getPaymentRequest(ctx, requestId)]);
    if (!payment) throw new CheckoutNotFoundError(requestId);
    return {
      requestId,
      status: payment.status,
      referenceId: record?.referenceId ?? payment.referenceId ?? null,
      final: isFinalStatus(payment.status),
    };
  };
}
