import { z } from 'zod';
import { pickFormFields, pickJsonFields } from './json-members.js';

/*
 * Flinks Pay v1 requests as shared/flinks-pay-api.md §2 documents them, written for the simulator
 * alone (never imported from the BFF's client: this is a model of Flinks, not of our client). They
 * are read the way an ASP.NET Core [ApiController] binds a model: names in any casing, and every
 * missing or invalid field named in one ValidationProblemDetails. Messages follow ASP.NET's
 * data-annotation wording ("The X field is required."). A field Flinks does not document is refused
 * (§2.2 lists every field; the docs say nothing of extra ones, so the strict reading is taken): a
 * client sending v2's firstName/lastName, or a misspelt name, fails here rather than against Flinks.
 */

export const V1_PATHS = {
  authorize: '/api/v1/authorize',
  initiateSession: '/api/v1/sessions/initiate',
  paymentRequests: '/api/v1/paymentrequests',
} as const;

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type FieldErrors = Record<string, string[]>;
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

const required = (name: string): string => `The ${name} field is required.`;
const NOT_AN_OBJECT = 'The request body must be a JSON object.';

/** [Required] on a string: missing, null, empty and blank are all "required". */
function requiredString(name: string, maxLength: number) {
  return z
    .string({ error: (issue) => (issue.input == null ? required(name) : `The ${name} field must be a JSON string.`) })
    .refine((value) => value.trim() !== '', required(name))
    .refine((value) => value.length <= maxLength, `The field ${name} must be a string with a maximum length of ${maxLength}.`);
}

/** A number in CAD dollars; its literal is checked separately (isTwoDecimalLiteral). */
const AmountSchema = z
  .number({ error: (issue) => (issue.input == null ? required('amount') : 'The amount field must be a JSON number, not a string.') })
  .positive('The field amount must be greater than 0.');

/** The shape of the client URIs is not published (§2.2, §8.5): any object is taken as it is. */
const clientUris = (name: string) => z.record(z.string(), z.unknown(), { error: `The ${name} field must be a JSON object.` }).nullish();

// ---- POST /api/v1/authorize ---------------------------------------------------------------------

const AuthorizeFormSchema = z.object(
  {
    grant_type: z
      .string({ error: required('grant_type') })
      .refine((value) => value === 'client_credentials', 'The grant_type field must be client_credentials.'),
  },
  { error: NOT_AN_OBJECT },
);

// ---- POST /api/v1/sessions/initiate -------------------------------------------------------------

/** §2.2: v1 names the customer with one full-name string; e-mail and referenceId ≤ 100 as in v2. */
const InitiateSessionRequestSchema = z.object(
  {
    amount: AmountSchema,
    // v1 publishes no limit; 302 fits first, middle and last name at v2's 100 characters each.
    customerName: requiredString('customerName', 302),
    customerEmail: requiredString('customerEmail', 100).refine(
      // What ASP.NET's [EmailAddress] checks: one @, neither first nor last.
      (value) => /^[^@\r\n]+@[^@\r\n]+$/.test(value),
      'The customerEmail field is not a valid e-mail address.',
    ),
    referenceId: requiredString('referenceId', 100),
    clientURIs: clientUris('clientURIs'),
    clientUrls: clientUris('clientUrls'),
  },
  { error: NOT_AN_OBJECT },
);
export type InitiateSessionRequest = z.infer<typeof InitiateSessionRequestSchema>;
const INITIATE_FIELDS = Object.keys(InitiateSessionRequestSchema.shape) as (keyof InitiateSessionRequest)[];

/** CAD dollars as written: at most two decimals, no sign, no exponent (`250.00`, `12.3`, `7`). */
export function isTwoDecimalLiteral(literal: string): boolean {
  return /^(?:0|[1-9]\d*)(?:\.\d{1,2})?$/.test(literal);
}

// ---- POST /api/v1/paymentrequests ---------------------------------------------------------------

const CreatePaymentRequestSchema = z.object(
  {
    sessionId: requiredString('sessionId', 36)
      .refine((id) => GUID_PATTERN.test(id), 'The sessionId field is not a valid GUID.')
      // A GUID is a GUID in any casing; the simulator issues and stores them lower-case.
      .transform((id) => id.toLowerCase()),
  },
  { error: NOT_AN_OBJECT },
);

// ---- parsing ------------------------------------------------------------------------------------

function addError(errors: FieldErrors, key: string, message: string): void {
  // An own list even for a field named like an Object.prototype member (constructor, __proto__).
  if (!Object.hasOwn(errors, key)) Object.defineProperty(errors, key, { value: [], enumerable: true, writable: true, configurable: true });
  const messages = errors[key] ?? [];
  if (!messages.includes(message)) messages.push(message);
}

function fieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) addError(errors, issue.path.length > 0 ? issue.path.map(String).join('.') : '$', issue.message);
  return errors;
}

/** Every error of `value` against `schema`, plus one per undocumented field. */
function parse<T>(schema: z.ZodType<T>, value: unknown, unknown: readonly string[], kind: string): Parsed<T> {
  const result = schema.safeParse(value);
  const errors: FieldErrors = result.success ? {} : fieldErrors(result.error);
  for (const name of unknown) addError(errors, name, `The ${kind} '${name}' is not a field of this request.`);
  if (result.success && Object.keys(errors).length === 0) return { ok: true, value: result.data };
  return { ok: false, errors };
}

/**
 * §2.1: the body is grant_type=client_credentials. Username and Password are tolerated, never read:
 * one doc revision lists them as form fields (the credentials still have to come as Basic).
 */
export function parseAuthorizeForm(form: URLSearchParams): Parsed<z.infer<typeof AuthorizeFormSchema>> {
  const { values, unknown } = pickFormFields(form, ['grant_type'], ['Username', 'Password']);
  return parse(AuthorizeFormSchema, values, unknown, 'form field');
}

/** `json` is the raw body, `parsed` its JSON.parse result; also answers the amount as written. */
export function parseInitiateSession(json: string, parsed: unknown): Parsed<{ request: InitiateSessionRequest; amountLiteral: string }> {
  const { values, literals, unknown } = pickJsonFields(json, parsed, INITIATE_FIELDS);
  const result = parse(InitiateSessionRequestSchema, values, unknown, 'JSON property');
  const errors: FieldErrors = result.ok ? {} : result.errors;
  const literal = literals.amount ?? '';
  // The schema sees a double; only the literal tells 12.345 or 1e2 from 12.34.
  if (typeof values?.amount === 'number' && values.amount > 0 && !isTwoDecimalLiteral(literal)) {
    addError(errors, 'amount', 'The field amount must have at most two decimal places, written without an exponent.');
  }
  if (!result.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { request: result.value, amountLiteral: literal } };
}

export function parseCreatePaymentRequest(json: string, parsed: unknown): Parsed<{ sessionId: string }> {
  const { values, unknown } = pickJsonFields(json, parsed, ['sessionId']);
  return parse(CreatePaymentRequestSchema, values, unknown, 'JSON property');
}
