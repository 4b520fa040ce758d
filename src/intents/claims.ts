import { z } from 'zod';
import { ReferenceIdSchema, toCanonicalAmount } from '../checkout/schemas.js';
import { InvalidIntentError } from '../errors/app-errors.js';

/** The longest an intent may live: enough to reach the payment page, short enough that a leaked one soon dies. */
export const MAX_INTENT_LIFETIME_S = 15 * 60;

/**
 * Tolerated difference between the merchant's clock and ours, on the claims a clock running ahead
 * pushes into the future (iat, nbf and the lifetime cap). Not on expiry: an intent is used seconds
 * after it is minted, so an expired one is refused at once, as the contract has it.
 */
export const CLOCK_SKEW_S = 30;

/** "is missing" for an absent claim, "must be …" for one of the wrong type. */
const expecting = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is missing' : `must be ${what}`),
});

/** The checkout's idempotency key: exported so `npm run intent` refuses a jti the BFF would refuse. */
export const JtiSchema = z.string(expecting('a string')).regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 visible ASCII characters');

const NumericDateSchema = z.number(expecting('a NumericDate (whole seconds since 1970)')).int('must be whole seconds since 1970');

/**
 * The claims an intent must carry. `amount` and `referenceId` follow exactly the rules of the body
 * fields they replace; other claims (iss, aud, sub, …) are allowed and ignored.
 */
const IntentClaimsSchema = z.object({
  amount: z.string(expecting('a decimal string such as "12.34"')).transform(toCanonicalAmount),
  referenceId: z.string(expecting('a string')).pipe(ReferenceIdSchema),
  jti: JtiSchema,
  exp: NumericDateSchema,
  iat: NumericDateSchema.optional(),
  nbf: NumericDateSchema.optional(),
});
export type IntentClaims = z.infer<typeof IntentClaimsSchema>;

/** Parses a (decoded) claims set and checks its time window against `nowMs`; throws InvalidIntentError. */
export function checkClaims(payload: unknown, nowMs: number): IntentClaims {
  const parsed = IntentClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `claim ${issue.path.join('.') || '(all)'} ${issue.message}`);
    throw new InvalidIntentError('claims', `${problems.join('; ')}.`);
  }
  checkTimes(parsed.data, Math.floor(nowMs / 1000));
  return parsed.data;
}

function checkTimes({ exp, iat, nbf }: IntentClaims, now: number): void {
  if (exp <= now) throw new InvalidIntentError('expired', `it expired at ${isoOf(exp)}.`);
  if (nbf !== undefined && nbf > now + CLOCK_SKEW_S) {
    throw new InvalidIntentError('not-yet-valid', `it is not valid before ${isoOf(nbf)} (nbf).`);
  }
  if (iat !== undefined && iat > now + CLOCK_SKEW_S) {
    throw new InvalidIntentError('not-yet-valid', `it claims to be issued in the future, at ${isoOf(iat)} (iat).`);
  }
  // A long-lived intent is a reusable coupon for whoever copies it: refuse it however it is signed.
  const lifetime = MAX_INTENT_LIFETIME_S / 60;
  if (exp > now + MAX_INTENT_LIFETIME_S + CLOCK_SKEW_S) {
    throw new InvalidIntentError('lifetime', `exp is more than ${lifetime} minutes from now.`);
  }
  if (iat !== undefined && exp - iat > MAX_INTENT_LIFETIME_S) {
    throw new InvalidIntentError('lifetime', `exp is more than ${lifetime} minutes after iat.`);
  }
}

function isoOf(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}
