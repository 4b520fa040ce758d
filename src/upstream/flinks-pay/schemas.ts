import { z } from 'zod';

/*
 * The Flinks Pay v1 wire format as the client speaks it: what it sends, and how it parses every
 * answer. Written from the Flinks documentation (shared/flinks-pay-api.md); field casing is
 * inconsistent upstream, hence the key folding below.
 */

export const FLINKS_PATHS = {
  authorize: '/api/v1/authorize',
  initiateSession: '/api/v1/sessions/initiate',
  paymentRequests: '/api/v1/paymentrequests',
} as const;

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Flinks does not publish its requestId format; this bounds it to what is safe in a URL path. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9-]{1,100}$/;

export const PAYMENT_STATUSES = ['Initiated', 'Processing', 'Accepted', 'Processed', 'Settled', 'Cancelled', 'Expired', 'Declined', 'Failed'] as const;

export const PaymentStatusSchema = z.enum(PAYMENT_STATUSES);
export type PaymentStatus = z.infer<typeof PaymentStatusSchema>;

const FINAL_STATUSES: ReadonlySet<PaymentStatus> = new Set(['Settled', 'Cancelled', 'Expired', 'Declined', 'Failed']);

export function isFinalStatus(status: PaymentStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * Lower-cases every top-level key so `ReferenceId`, `referenceId` and `REFERENCEID` all parse. Two
 * spellings of one member with different values (`status` and `Status`) make the answer unreadable:
 * which one Flinks meant is unknowable, and a status taken by the order of keys could be a wrong,
 * final one.
 */
function foldKeys(value: unknown, ctx: z.RefinementCtx): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  // A plain loop: this runs on every Flinks answer, and entries/map/fromEntries allocate three times.
  // No prototype, so a member named "__proto__" stays a member, as with Object.fromEntries.
  const folded = Object.create(null) as Record<string, unknown>;
  for (const [key, v] of Object.entries(value)) {
    const name = key.toLowerCase();
    if (name in folded && !sameValue(folded[name], v)) {
      ctx.addIssue({ code: 'custom', message: `members spelled "${name}" in other letter cases disagree` });
    }
    folded[name] = v;
  }
  return folded;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

/**
 * Flinks writes statuses in PascalCase; any casing of a known status is taken, and so is the US
 * spelling `Canceled`, which Flinks' GEFT payments use (flinks-pay-api.md §4), as `Cancelled`:
 * an answer refused for it would leave the checkout unreadable for good.
 */
const STATUS_SPELLINGS: ReadonlyMap<string, PaymentStatus> = new Map([
  ...PAYMENT_STATUSES.map((status) => [status.toLowerCase(), status] as const),
  ['canceled', 'Cancelled'],
]);
const CaseInsensitiveStatusSchema = z.preprocess(
  (value) => (typeof value === 'string' ? (STATUS_SPELLINGS.get(value.toLowerCase()) ?? value) : value),
  PaymentStatusSchema,
);

// ---- POST /api/v1/authorize --------------------------------------------------------------

export const AuthorizeResponseSchema = z.preprocess(
  foldKeys,
  z.object({
    // RFC 6750's b64token, the form a Bearer header carries: a token with a space or a line break
    // could not be sent as one, and must fail here as a bad answer, not later as "Flinks unreachable".
    access_token: z
      .string()
      .max(2048)
      .regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'access_token is not a bearer token'),
    token_type: z.string().regex(/^bearer$/i),
    expires_in: z.number().int().positive(),
  }),
);

// ---- POST /api/v1/sessions/initiate ------------------------------------------------------

/**
 * The v1 body as documented: every field but the client URIs is mandatory. `customerName` is one
 * string, the account holder's full name, which Flinks matches against the name the bank returns.
 */
export const InitiateSessionRequestSchema = z.strictObject({
  /** CAD dollars as a JSON number with at most two decimals (Flinks rejects strings). */
  amount: z.number().positive(),
  customerName: z.string().min(1).max(302),
  customerEmail: z.email().max(100),
  referenceId: z.string().min(1).max(100),
});
export type InitiateSessionRequest = z.infer<typeof InitiateSessionRequestSchema>;

export const InitiateSessionResponseSchema = z.preprocess(
  foldKeys,
  // Only the sessionId is used: the referenceId Flinks echoes is ours already, and a checkout must not
  // fail over a field it never reads once Flinks has made the session.
  z.object({ sessionid: z.string().regex(GUID_PATTERN, 'sessionId is not a GUID') }).transform(({ sessionid }) => ({ sessionId: sessionid })),
);

// ---- POST /api/v1/paymentrequests --------------------------------------------------------

export const CreatePaymentRequestResponseSchema = z.preprocess(
  foldKeys,
  z.object({ requestid: z.string().regex(REQUEST_ID_PATTERN) }).transform(({ requestid }) => ({ requestId: requestid })),
);

// ---- GET /api/v1/paymentrequests/{requestId} ---------------------------------------------

const MAX_REASON_LENGTH = 500;

/**
 * Flinks' `statusDetails` (why a payment Failed, e.g. a name mismatch) as one line of text for the
 * merchant. Its shape is not documented beyond prose, so anything but non-blank text is dropped,
 * and control characters never pass.
 */
function reasonOf(details: unknown): string | undefined {
  if (typeof details !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const text = details.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return text === '' ? undefined : text.slice(0, MAX_REASON_LENGTH);
}

/**
 * Two documented variants: `{ requestId, status, ReferenceId, PaymentLink }` and
 * `{ id, status, paymentReferenceNumber }`. Only what is read is checked (the status, the id, the
 * reason); the other fields are ignored.
 */
export const PaymentRequestStatusResponseSchema = z.preprocess(
  foldKeys,
  z
    .object({
      status: CaseInsensitiveStatusSchema,
      requestid: z.string().optional(),
      id: z.string().optional(),
      // Never read here (status reads answer the referenceId recorded at creation): whatever it holds
      // cannot fail a read.
      referenceid: z.unknown().optional(),
      statusdetails: z.unknown().optional(),
    })
    .transform((body) => ({
      status: body.status,
      requestId: body.requestid ?? body.id,
      referenceId: typeof body.referenceid === 'string' ? body.referenceid : undefined,
      reason: reasonOf(body.statusdetails),
    })),
);
export type PaymentRequestStatusResponse = z.infer<typeof PaymentRequestStatusResponseSchema>;
