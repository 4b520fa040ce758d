import { z } from 'zod';
import { InputRefusedError } from '../../errors/app-errors.js';
import type { OpsConsole } from '../../outcomes/ops-console.js';
import type { ListPosition } from '../../outcomes/outcome-listing.js';
import { PaymentStatusSchema, REQUEST_ID_PATTERN } from '../../upstream/flinks-pay/schemas.js';

/*
 * The operations API's shapes. Records hold no customer name or e-mail, and these schemas (which
 * also act as the allow-list of what is serialised) name none.
 */

/** What each ops route is registered with. */
export interface OpsRouteOptions {
  console: OpsConsole;
}

/** The OpenAPI security scheme every /ops operation requires (declared in plugins/external/swagger.ts). */
export const OPS_SECURITY = [{ opsToken: [] }];

// Strict: an unknown parameter (`reference` for `referenceId`) is a 400 naming it, not a listing
// of every checkout that looks like an answer. Swagger UI sends only these three.
export const OpsListQuerySchema = z.strictObject({
  referenceId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"')
    .optional()
    .describe("Only the checkouts of this order id (the merchant's referenceId)."),
  status: PaymentStatusSchema.optional().describe('Only checkouts whose last known status is this one.'),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the `next` of a previous page')
    .optional()
    .describe('The `next` of the previous page; absent: the newest checkouts.'),
});

const iso = z.iso.datetime();

const OpsCheckoutSummarySchema = z
  .object({
    requestId: z.string().describe('The Flinks payment request id.'),
    referenceId: z.string().describe("The merchant's order id."),
    status: PaymentStatusSchema.describe('Last known status.'),
    final: z.boolean().describe('True once the status can no longer change.'),
    createdAt: iso.describe('When the checkout was created here.'),
    updatedAt: iso.describe('When its status last changed.'),
  })
  .meta({ id: 'OpsCheckoutSummary' });

export const OpsCheckoutPageSchema = z
  .object({
    items: z.array(OpsCheckoutSummarySchema).describe('At most 50, newest first.'),
    next: z
      .string()
      .nullable()
      .describe(
        'Pass as `cursor` for the next (older) page; null when there is none. With a `status` filter a page may hold ' +
          'fewer than 50 while more follow (at most 1000 checkouts are looked at per page).',
      ),
  })
  .meta({ id: 'OpsCheckoutPage' });

const OpsStatusSeenSchema = z
  .object({
    status: PaymentStatusSchema,
    at: iso,
    source: z
      .enum(['created', 'read', 'reconcile', 'webhook'])
      .describe('What made the service see it: the checkout itself, a status read (or stream, or ops refresh), reconciliation, a Flinks webhook.'),
    reason: z.string().optional(),
  })
  .meta({ id: 'OpsStatusSeen' });

const OpsDeliveryAttemptSchema = z
  .object({
    webhookId: z.string().describe('The `webhook-id` header: one per status change, the same on every attempt.'),
    status: PaymentStatusSchema,
    attempt: z.int().min(1).describe("The attempt's number for its webhook-id, counting on through redeliveries."),
    at: iso,
    answer: z.string().describe('The merchant\'s HTTP status ("200", "503"), or "timeout", "connection failed", "cut off (the instance stopped)".'),
    durationMs: z.number().min(0),
    outcome: z.enum(['delivered', 'retrying', 'failed']),
  })
  .meta({ id: 'OpsDeliveryAttempt' });

export const OpsCheckoutSchema = z
  .object({
    requestId: z.string(),
    referenceId: z.string(),
    status: PaymentStatusSchema,
    final: z.boolean(),
    reason: z.string().optional().describe('Why it failed, when Flinks says.'),
    createdAt: iso,
    updatedAt: iso.describe('When the status last changed.'),
    observedAt: iso.describe(
      'When the status was last read from Flinks, changed or not, to within 10 s: an unchanged status read again that soon is not written again, except by a refresh.',
    ),
    history: z.array(OpsStatusSeenSchema).describe('Each status seen, oldest first (the last 20).'),
    deliveries: z.array(OpsDeliveryAttemptSchema).describe('Each merchant webhook attempt, oldest first (the last 50).'),
  })
  .meta({ id: 'OpsCheckout' });

export const OpsRedeliverySchema = z
  .object({
    requestId: z.string(),
    status: PaymentStatusSchema.describe('The status whose event is sent again (the latest).'),
    webhookId: z.string(),
    queued: z
      .enum(['rerun', 'pending', 'added'])
      .describe('rerun: an ended delivery starts again; pending: a waiting retry is moved to now; added: a new delivery.'),
  })
  .meta({ id: 'OpsRedelivery' });

/** Opaque to clients: base64url of "<creation ms>.<requestId>", the last entry of the page before. */
export function encodeCursor(position: ListPosition | null): string | null {
  return position === null ? null : Buffer.from(`${position.at}.${position.requestId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): ListPosition | undefined {
  if (cursor === undefined) return undefined;
  const match = /^(\d{1,15})\.(.+)$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const requestId = match?.[2];
  if (!match || requestId === undefined || !REQUEST_ID_PATTERN.test(requestId)) {
    throw new InputRefusedError('The cursor is not one this service gave out; start again without it.', [
      { path: 'cursor', message: 'is not the `next` of a previous page' },
    ]);
  }
  return { at: Number(match[1]), requestId };
}
