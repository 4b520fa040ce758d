import { z } from 'zod';
import { MAX_AMOUNT, parseCadAmount, type CanonicalAmount } from '../money/cad-amount.js';
import { PaymentStatusSchema, REQUEST_ID_PATTERN } from '../upstream/flinks-pay/schemas.js';

const AMOUNT_MESSAGES = {
  format: 'must be a positive CAD amount with at most 2 decimals, e.g. "25.50"',
  zero: 'must be greater than 0',
  'too-large': `must be at most ${MAX_AMOUNT}`,
} as const;

/** The CAD amount rules as a zod transform, shared by the body `amount` and an intent's `amount` claim. */
export function toCanonicalAmount(value: string | number, ctx: z.RefinementCtx): CanonicalAmount {
  const parsed = parseCadAmount(value);
  if (parsed.ok) return parsed.amount;
  ctx.addIssue({ code: 'custom', message: AMOUNT_MESSAGES[parsed.problem] });
  return z.NEVER;
}

export const AmountSchema = z
  .union([z.string(), z.number()])
  .transform(toCanonicalAmount)
  .describe(
    `Amount to collect in Canadian dollars (not cents): > 0, at most 2 decimals, at most ${MAX_AMOUNT}. ` +
      'A string ("25.50", without spaces) or a JSON number (25.5, written without an exponent); it reaches Flinks exactly as given.',
  );

/*
 * Control characters (CR/LF, NUL, tabs), invisible format characters (zero-width, byte-order mark,
 * bidi overrides and isolates), line separators, the characters Unicode says render as nothing
 * (Default_Ignorable_Code_Point: Hangul fillers, variation selectors, the combining grapheme
 * joiner) and the blank braille cell: a name holding one can split a header or log line, or read
 * differently on screen than what Flinks matches against the bank.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;

/** Name text: no control or invisible characters, trimmed. */
const NameTextSchema = z
  .string()
  .refine((name) => !INVISIBLE.test(name), {
    message: 'must not contain control or invisible characters (line breaks, NUL, zero-width or bidi characters)',
    abort: true,
  })
  .trim();

const hasLetter = (name: string): boolean => /\p{L}/u.test(name);
const HAS_LETTER = 'must contain at least one letter';

const PersonNameSchema = NameTextSchema.min(1, { abort: true }).max(100, { abort: true }).refine(hasLetter, HAS_LETTER);

/** A form's empty middle-name field (nothing, or spaces) means no middle name, not a bad one. */
const MiddleNameSchema = NameTextSchema.max(100, { abort: true })
  .refine((name) => name === '' || hasLetter(name), HAS_LETTER)
  .transform((name) => (name === '' ? undefined : name));

const CustomerSchema = z
  .strictObject({
    firstName: PersonNameSchema.describe('Legal first name of the bank account holder; Flinks matches it against the bank.'),
    middleName: MiddleNameSchema.optional(),
    lastName: PersonNameSchema.describe('Legal last name of the bank account holder.'),
    email: z.email().max(100).describe('Where the shopper can be reached about this payment.'),
  })
  .meta({
    id: 'Customer',
    description:
      'Names are trimmed, 1-100 characters, hold at least one letter and no control or invisible format characters ' +
      '(CR/LF, NUL, zero-width, bidi overrides). An empty middleName (or only spaces) means none.',
  });

export const ReferenceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"')
  .describe('Your order id, echoed in statuses and in the Flinks reconciliation report. A UUID is generated when absent.');

/** Longer than any intent a merchant needs (a few hundred bytes), far below the body limit. */
const MAX_INTENT_LENGTH = 4096;

const IntentTokenSchema = z
  .string()
  .min(1)
  .max(MAX_INTENT_LENGTH)
  .describe(
    "A checkout intent signed by the merchant's backend: a compact JWS (HS256 with the shared secret, or a key of the " +
      'configured key set) whose claims `amount`, `referenceId`, `exp` (at most 15 min ahead) and `jti` fix the ' +
      'checkout. Send it instead of `amount` and `referenceId`. Required when the service verifies intents; a second ' +
      'checkout with the same `jti` replays the first one (also signed again with a later `exp`); the same `jti` ' +
      'for another amount, referenceId or customer is a 422.',
  );

function isObjectBody(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly one way to state the amount: in the body, or signed inside an intent that also carries the referenceId. */
function checkAmountSource(body: { amount?: unknown; intent?: unknown; referenceId?: unknown }, ctx: z.RefinementCtx): void {
  // An intent that is no string (null, say) is refused on its own: the amount beside it, or its
  // absence, is not a second mistake.
  if (body.intent !== undefined && typeof body.intent !== 'string') return;
  if (body.intent === undefined) {
    if (body.amount === undefined) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'is required (or send a signed intent)' });
    return;
  }
  for (const field of ['amount', 'referenceId'] as const) {
    if (body[field] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `must not be sent with an intent: the intent carries the ${field}` });
    }
  }
}

export const CheckoutRequestSchema = z
  .strictObject({
    amount: AmountSchema.optional(),
    intent: IntentTokenSchema.optional(),
    customer: CustomerSchema,
    referenceId: ReferenceIdSchema.optional(),
  })
  // Also when a field is invalid, so that one answer names every problem (a missing amount among them).
  .superRefine(checkAmountSource, { when: (payload) => isObjectBody(payload.value) })
  .meta({
    id: 'CheckoutRequest',
    description: 'Either `amount` (with an optional `referenceId`), or a signed `intent` that carries both; never both ways at once.',
  });
export type CheckoutRequest = z.infer<typeof CheckoutRequestSchema>;

export const CheckoutHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters')
    .optional()
    .describe(
      'Makes retries safe: the same key with the same body returns the first response (no second payment); ' +
        'with another body from the same client 422; while the first is still running 409. Kept 24 h. The key ' +
        'is bound to the body, so someone who learns or guesses it can neither read nor block the checkout. Use ' +
        'a fresh random UUID per checkout. ' +
        "With an `intent` the intent's `jti` is the key and this header is not used.",
    ),
});

const RequestIdSchema = z
  .string()
  .regex(REQUEST_ID_PATTERN, 'must be 1-100 characters of A-Z, a-z, 0-9 or "-"')
  .describe('The Flinks payment request id returned by POST /checkout.');

export const CheckoutCreatedSchema = z
  .object({
    requestId: RequestIdSchema,
    launchUrl: z.url().describe('Open this in a redirect, new tab or iframe, or in a native app an in-app browser tab, to let the shopper pay.'),
  })
  .meta({ id: 'CheckoutCreated' });
export type CheckoutCreated = z.infer<typeof CheckoutCreatedSchema>;

export const CheckoutParamsSchema = z.object({ requestId: RequestIdSchema });

export const CheckoutStatusSchema = z
  .object({
    requestId: RequestIdSchema,
    status: PaymentStatusSchema.describe(
      'Flinks payment status. Accepted, Processed and Settled mean the funds are guaranteed; ' + 'Settled, Cancelled, Expired, Declined and Failed are final.',
    ),
    referenceId: z.string().describe('Your order id: the referenceId of the checkout, or the one this service generated for it.'),
    final: z.boolean().describe('True once the status can no longer change: stop polling.'),
    reason: z
      .string()
      .optional()
      .describe("Why Flinks gave this status, in Flinks' words (its `statusDetails`), e.g. why a payment Failed. Only when Flinks gives one."),
  })
  .meta({ id: 'CheckoutStatus' });
export type CheckoutStatus = z.infer<typeof CheckoutStatusSchema>;
