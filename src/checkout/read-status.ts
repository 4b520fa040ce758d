import { CheckoutNotFoundError, UpstreamRejectedError } from '../errors/app-errors.js';
import type { CallContext, FlinksPayClient } from '../upstream/flinks-pay/client.js';
import { isFinalStatus } from '../upstream/flinks-pay/schemas.js';
import type { CheckoutRecords } from './records.js';
import type { CheckoutStatus } from './schemas.js';

export type ReadStatus = (ctx: CallContext, requestId: string) => Promise<CheckoutStatus>;

const NOT_KNOWN_AT_FLINKS = 'It does not know this payment request yet, although it made it for this checkout: read it again shortly.';

/**
 * A checkout's current status from Flinks, with the merchant's referenceId as recorded here. Only
 * checkouts created here are read: any other id is not found without asking Flinks, so the
 * merchant's Flinks account is not readable through this service. Once a final status was seen it
 * is the answer, without asking Flinks again: it never changes, and the merchant was told it, so a
 * later answer from Flinks that differs (a lagging replica) must not take it back.
 */
export function createStatusReader({ flinks, records }: { flinks: FlinksPayClient; records: CheckoutRecords }): ReadStatus {
  return async (ctx, requestId) => {
    const recorded = await records.recordedOf(requestId);
    if (recorded === undefined) throw new CheckoutNotFoundError(requestId);
    const { referenceId, final } = recorded;
    if (final) return { requestId, status: final.status, referenceId, final: true, ...(final.reason === undefined ? {} : { reason: final.reason }) };
    const payment = await flinks.getPaymentRequest(ctx, requestId);
    // Flinks made this payment request for a checkout recorded here, so its 404 is Flinks' mistake
    // (a replica that has not caught up), not an unknown checkout: a 502, which clients read again
    // (the browser client takes a 404 as the end), as reconciliation does.
    if (!payment) throw new UpstreamRejectedError('status', 404, { advice: NOT_KNOWN_AT_FLINKS });
    return {
      requestId,
      status: payment.status,
      referenceId,
      final: isFinalStatus(payment.status),
      ...(payment.reason === undefined ? {} : { reason: payment.reason }),
    };
  };
}
