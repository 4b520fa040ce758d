import type { FastifyBaseLogger } from 'fastify';
import { InputRefusedError } from '../errors/app-errors.js';
import type { CheckoutRequest } from '../checkout/schemas.js';
import type { CheckoutInput } from '../checkout/create-checkout.js';
import type { IntentVerifier } from './verifier.js';

export interface ResolvedCheckout {
  input: CheckoutInput;
  /** The jti of the verified intent, when the checkout came with one. */
  intentId?: string;
}

/** `log`: the request's logger, for what verifying its intent found wrong outside the request. */
export type CheckoutInputResolver = (body: CheckoutRequest, log: FastifyBaseLogger) => Promise<ResolvedCheckout>;

/**
 * Where the amount of a checkout comes from. With a verifier (signing configured) only from a valid
 * intent: an amount in the body is refused, whoever sends it. Without one, only from the body: an
 * intent would be trusted by nobody, and silently ignoring it would hide a missing configuration.
 */
export function createCheckoutInputResolver(verifier: IntentVerifier | undefined): CheckoutInputResolver {
  return async ({ amount, intent, referenceId, customer }, log) => {
    if (verifier === undefined) {
      if (intent !== undefined) {
        throw new InputRefusedError('This service does not verify signed intents; send amount (and referenceId) instead.', [
          { path: 'intent', message: 'is not accepted: signed intents are not configured on this service' },
        ]);
      }
      // The schema already demands amount or intent; this keeps the types honest.
      if (amount === undefined) throw new InputRefusedError('The body has no amount.', [{ path: 'amount', message: 'is required' }]);
      return { input: { amount, referenceId, customer } };
    }
    if (intent === undefined) {
      throw new InputRefusedError(
        "A signed intent is required: this service only accepts amounts signed by the merchant's backend. " + 'Send intent instead of amount and referenceId.',
        [{ path: 'intent', message: 'is required: amounts must come signed' }],
      );
    }
    const claims = await verifier.verify(intent, (error) => {
      log.warn(
        { err: error },
        'the intent key set could not be downloaded for an unknown kid; the cached set is used, tried again after CHECKOUT_JWKS_COOLDOWN_MS',
      );
    });
    return { input: { amount: claims.amount, referenceId: claims.referenceId, customer }, intentId: claims.jti };
  };
}
