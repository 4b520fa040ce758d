import { z } from 'zod';
import { MAX_AMOUNT, parseCadAmount } from '../money/cad-amount.js';
import { PaymentStatusSchema, REQUEST_ID_PATTERN } from '../upstream/flinks-pay/schemas.js';

const AMOUNT_MESSAGES = {
  format: 'must be a positive CAD amount with at most 2 decimals, e.g. "25.50"',
  zero: 'must be greater than 0',
  'too-large': `must be at most ${MAX_AMOUNT}`,
} as const;

export const AmountSchema = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const parsed = parseCadAmount(value);
    if (parsed.ok) return parsed.amount;
    ctx.addIssue({ code: 'custom', message: AMOUNT_MESSAGES[parsed.problem] });
    return z.NEVER;
  })
  .describe(
    `Amount to collect in Canadian dollars (not cents): > 0, at most 2 decimals, at most ${MAX_AMOUNT}. ` +
      'A string ("25.50") or a JSON number (25.5); it reaches Flinks exactly as given.',
  );

const PersonNameSchema = z.string().trim().min(1).max(100);

export const CustomerSchema = z
  .strictObject({
    firstName: PersonNameSchema.describe('Legal first name of the bank account holder; Flinks matches it against the bank.'),
    middleName: PersonNameSchema.optional(),
    lastName: PersonNameSchema.describe('Legal last name of the bank account holder.'),
    email: z.email().max(100).describe('Where the shopper can be reached about this payment.'),
  })
  .meta({ id: 'Customer' });

export const ReferenceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"')
  .describe('Your order id, echoed in statuses and in the Flinks reconciliation report. A UUID is generated when absent.');

export const CheckoutRequestSchema = z
  .strictObject({
    amount: AmountSchema,
    customer: CustomerSchema,
    referenceId: ReferenceIdSchema.optional(),
  })
  .meta({ id: 'CheckoutRequest' });
export type CheckoutRequest = z.infer<typeof CheckoutRequestSchema>;

export const CheckoutHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters')
    .optional()
    .describe(
      'Makes retries safe: the same key with the same body returns the first response (no second payment); ' +
        'with another body 422; while the first is still running 409. Kept 24 h. Use a fresh UUID per checkout.',
    ),
});

export const RequestIdSchema = z
  .string()
  .regex(REQUEST_ID_PATTERN, 'must be 1-100 characters of A-Z, a-z, 0-9 or "-"')
  .describe('The Flinks payment request id returned by POST /checkout.');

export const CheckoutCreatedSchema = z
  .object({
    requestId: RequestIdSchema,
    launchUrl: z.url().describe('Open this in a redirect, new tab, iframe or web view to let the shopper pay.'),
  })
  .meta({ id: 'CheckoutCreated' });
export type CheckoutCreated = z.infer<typeof CheckoutCreatedSchema>;

export const CheckoutParamsSchema = z.object({ requestId: RequestIdSchema });

export const CheckoutStatusSchema = z
  .object({
    requestId: RequestIdSchema,
    status: PaymentStatusSchema.describe(
      'Flinks payment status. Accepted, Processed and Settled mean the funds are guaranteed; ' +
        'Settled, Cancelled, Expired, Declined and Failed are final.',
    ),
    referenceId: z.string().nullable().describe('Your order id; null only if neither this service nor Flinks knows it.'),
    final: z.boolean().describe('True once the status can no longer change: stop polling.'),
  })
  .meta({ id: 'CheckoutStatus' });
export type CheckoutStatus = z.infer<typeof CheckoutStatusSchema>;
