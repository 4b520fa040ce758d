import { randomUUID } from 'node:crypto';
import { CheckoutNotFoundError, UpstreamRejectedError } from '../errors/app-errors.js';
import type { AccessToken, CallContext, FlinksPayClient } from '../upstream/flinks-pay/client.js';
import { isFinalStatus } from '../upstream/flinks-pay/schemas.js';
import type { CheckoutRecords } from './checkout-records.js';
import type { CanonicalAmount } from '../money/cad-amount.js';
import type { CheckoutCreated, CheckoutRequest, CheckoutStatus } from './schemas.js';
import type { StatusTokenSource } from './status-token.js';
import type { TokenPool } from './token-pool.js';

export interface CheckoutServiceDeps {
  flinks: FlinksPayClient;
  /** Where each checkout gets its own unused token (prefetched, or authorized on the spot). */
  tokens: Pick<TokenPool, 'take'>;
  records: CheckoutRecords;
  statusTokens: StatusTokenSource;
}

/** What a checkout is made of once its amount's source is settled: the body, or a verified intent. */
export type CheckoutInput = Pick<CheckoutRequest, 'customer' | 'referenceId'> & { amount: CanonicalAmount };

export type CheckoutService = ReturnType<typeof createCheckoutService>;

export function createCheckoutService({ flinks, tokens, records, statusTokens }: CheckoutServiceDeps) {
  /**
   * Runs one upstream step; if Flinks refuses the token (401) the step gets exactly one more try
   * with a freshly authorized token. A 401 means Flinks created nothing, so the retry is safe.
   */
  async function withOneReauthorize<T>(
    ctx: CallContext,
    token: AccessToken,
    step: (token: AccessToken) => Promise<T>,
  ): Promise<{ value: T; token: AccessToken }> {
    try {
      return { value: await step(token), token };
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
      ctx.log.warn('Flinks refused the bearer token; authorizing again once');
      const fresh = await flinks.authorize(ctx);
      return { value: await step(fresh), token: fresh };
    }
  }

  return {
    /**
     * authorize → sessions/initiate → paymentrequests, strictly in that order, and the URL the
     * shopper opens. Every call uses the token of this checkout only (Flinks: one token, one session).
     */
    async createCheckout(ctx: CallContext, input: CheckoutInput, appUrl: string): Promise<CheckoutCreated> {
      const referenceId = input.referenceId ?? randomUUID();
      const { firstName, middleName, lastName, email } = input.customer;
      const token = await tokens.take(ctx);
      const session = await withOneReauthorize(ctx, token, (t) =>
        flinks.initiateSession(ctx, t, {
          amount: input.amount,
          firstName,
          ...(middleName ? { middleName } : {}),
          lastName,
          customerEmail: email,
          referenceId,
        }),
      );
      const payment = await withOneReauthorize(ctx, session.token, (t) =>
        flinks.createPaymentRequest(ctx, t, session.value.sessionId),
      );
      const { requestId } = payment.value;
      await records.remember(requestId, { referenceId });
      return { requestId, launchUrl: launchUrlFor(appUrl, session.value.sessionId) };
    },

    /** Current status from Flinks, with the merchant's referenceId. */
    async getCheckoutStatus(ctx: CallContext, requestId: string): Promise<CheckoutStatus> {
      const [record, token] = await Promise.all([records.recall(requestId), statusTokens.get(ctx)]);
      let payment;
      try {
        payment = await flinks.getPaymentRequest(ctx, token, requestId);
      } catch (error) {
        if (!isUnauthorized(error)) throw error;
        statusTokens.discard(token);
        payment = await flinks.getPaymentRequest(ctx, await statusTokens.get(ctx), requestId);
      }
      if (!payment) throw new CheckoutNotFoundError(requestId);
      return {
        requestId,
        status: payment.status,
        referenceId: record?.referenceId ?? payment.referenceId ?? null,
        final: isFinalStatus(payment.status),
      };
    },
  };
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof UpstreamRejectedError && error.upstreamStatus === 401;
}

export function launchUrlFor(appUrl: string, sessionId: string): string {
  return `${appUrl}/app/?sessionId=${encodeURIComponent(sessionId)}`;
}
