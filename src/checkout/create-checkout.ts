import { randomUUID } from 'node:crypto';
import { UpstreamRejectedError, UpstreamTimeoutError } from '../errors/app-errors.js';
import type { CanonicalAmount } from '../money/cad-amount.js';
import type { CallContext, FlinksPayClient } from '../upstream/flinks-pay/client.js';
import type { CheckoutRecords } from './records.js';
import type { CheckoutCreated, CheckoutRequest } from './schemas.js';

/** What a checkout is made of once its amount's source is settled: the body, or a verified intent. */
export type CheckoutInput = Pick<CheckoutRequest, 'customer' | 'referenceId'> & { amount: CanonicalAmount };

export type CreateCheckout = (ctx: CallContext, input: CheckoutInput, appUrl: string) => Promise<CheckoutCreated>;

/**
 * Flinks v1 takes the account holder's name as one string: first [middle] last, joined by single
 * spaces. A run of spaces inside a part ("Mary  Ann", a no-break space) becomes one space too.
 */
export function customerNameOf({ firstName, middleName, lastName }: CheckoutInput['customer']): string {
  return [firstName, middleName, lastName].filter(Boolean).join(' ').replace(/\s+/g, ' ');
}

function launchUrlFor(appUrl: string, sessionId: string): string {
  return `${appUrl}/app/?sessionId=${encodeURIComponent(sessionId)}`;
}

/**
 * A checkout's 502 or 504 is kept under its Idempotency-Key like a 201 (docs/reliability.md): a
 * retry with the same key gets the same answer, so the detail says how to try again.
 */
const START_OVER = 'Start the checkout again with a new Idempotency-Key if one was sent: this one keeps this answer.';

function withCheckoutAdvice(error: unknown): unknown {
  if (error instanceof UpstreamRejectedError) {
    return new UpstreamRejectedError(error.step, error.upstreamStatus, { cause: error.cause, advice: START_OVER, aboutThisCall: error.aboutThisCall });
  }
  if (error instanceof UpstreamTimeoutError) return new UpstreamTimeoutError(error.step, { cause: error.cause, advice: START_OVER });
  return error;
}

/** One checkout, in the order Flinks documents it. */
export function createCheckoutFlow({
  flinks,
  records,
  callBudgetMs,
  callTimeoutMs,
  now = Date.now,
}: {
  flinks: FlinksPayClient;
  /** Where the checkout is recorded: status reads answer it, and outcome delivery follows it. */
  records: CheckoutRecords;
  /**
   * How long a checkout may take, each call bounded by `callTimeoutMs`: no Flinks call of it is
   * sent later than `callBudgetMs - callTimeoutMs` after it started (a call still queued then is a
   * 504), so it ends within this, and so while its Idempotency-Key claim holds: a retry never
   * finds the key free while the first request can still make a payment request.
   */
  callBudgetMs: number;
  callTimeoutMs: number;
  now?: () => number;
}): CreateCheckout {
  async function callFlinks(ctx: CallContext, input: CheckoutInput, referenceId: string) {
    // 1. authorize: a bearer token for this checkout alone (Flinks: one token, one session).
    const token = await flinks.authorize(ctx);

    // 2. sessions/initiate: the amount, and the name Flinks matches against the bank account.
    const { sessionId } = await flinks.initiateSession(ctx, token, {
      amount: input.amount,
      customerName: customerNameOf(input.customer),
      customerEmail: input.customer.email,
      referenceId,
    });

    // 3. paymentrequests: only a session with a payment request can be completed in the app.
    const { requestId } = await flinks.createPaymentRequest(ctx, token, sessionId);
    return { sessionId, requestId };
  }

  return async (ctx, input, appUrl) => {
    // Before Flinks is called: once the payment request exists, the checkout must not fail.
    records.assertRoom();
    flinks.assertCheckoutPossible();
    const referenceId = input.referenceId ?? randomUUID();
    const notAfter = now() + callBudgetMs - callTimeoutMs;
    const { sessionId, requestId } = await callFlinks({ ...ctx, notAfter }, input, referenceId).catch((error: unknown) => {
      throw withCheckoutAdvice(error);
    });
    await records.remember(requestId, { referenceId, createdAt: now() }, ctx.log);

    // 4. The shopper opens the Flinks Pay app with the sessionId (status reads use the requestId).
    return { requestId, launchUrl: launchUrlFor(appUrl, sessionId) };
  };
}
