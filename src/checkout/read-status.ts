import { CheckoutNotFoundError } from '../errors/app-errors.js';
import type { CallContext, FlinksPayClient } from '../upstream/flinks-pay/client.js';
import { isFinalStatus } from '../upstream/flinks-pay/schemas.js';
import type { CheckoutRecords } from './records.js';
import type { CheckoutStatus } from './schemas.js';

export type ReadStatus = (ctx: CallContext, requestId: string) => Promise<CheckoutStatus>;

/**
 * A checkout's current status from Flinks, with the merchant's referenceId as recorded here. Only
 * checkouts created here are read: any other id is not found without asking Flinks, so the
 * merchant's Flinks account is not readable through this service.
 */
export function createStatusReader({ flinks, records }: { flinks: FlinksPayClient; records: CheckoutRecords }): ReadStatus {
  return async (ctx, requestId) => {
    const referenceId = await records.referenceOf(requestId);
    if (referenceId === undefined) throw new CheckoutNotFoundError(requestId);
    const payment = await flinks.getPaymentRequest(ctx, requestId);
    if (!payment) throw new CheckoutNotFoundError(requestId);
    return {
      requestId,
      status: payment.status,
      referenceId,
      final: isFinalStatus(payment.status),
      ...(payment.reason === undefined ? {} : { reason: payment.reason }),
    };
  };
}
