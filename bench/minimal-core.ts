import { randomUUID } from 'node:crypto';
import { errors, Pool } from 'undici';

/*
 * What both minimal BFFs of `npm run bench` share (minimal-bff.ts on node:http, minimal-fastify.ts on
 * the service's stack): the three Flinks Pay calls with the same headers as the service, one undici
 * pool, the checkouts created here, and the contract's rules for an amount, a name and an e-mail.
 * Paths are Flinks Pay v1's, as in src/upstream/flinks-pay/schemas.ts; nothing here comes from src/,
 * so each floor's memory is its own.
 */

const env = process.env;
const BASE = new URL(env.FLINKS_BASE_URL ?? 'http://127.0.0.1:1');
const PREFIX = BASE.pathname.replace(/\/$/, '');
const APP_URL = (env.FLINKS_APP_URL ?? BASE.origin).replace(/\/$/, '');
const TIMEOUT_MS = Number(env.UPSTREAM_TIMEOUT_MS ?? 10_000);
export const BODY_LIMIT = 16_384;
const MAX_RECORDS = 100_000;
const BASIC = `Basic ${Buffer.from(`${env.FLINKS_USERNAME ?? ''}:${env.FLINKS_PASSWORD ?? ''}`).toString('base64')}`;
const USER_AGENT = 'minimal-bff/0.0.0';

const pool = new Pool(BASE.origin, {
  connections: Number(env.UPSTREAM_CONNECTIONS ?? 64),
  pipelining: 1,
  keepAliveTimeout: 30_000,
  connect: { timeout: TIMEOUT_MS },
});

/** requestId → referenceId of the checkouts created here (only those are answered). */
const records = new Map<string, string>();

const STATUSES = new Set(['Initiated', 'Processing', 'Accepted', 'Processed', 'Settled', 'Cancelled', 'Expired', 'Declined', 'Failed']);
const FINAL = new Set(['Settled', 'Cancelled', 'Expired', 'Declined', 'Failed']);
const REQUEST_ID = /^[A-Za-z0-9-]{1,100}$/;
export const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const REFERENCE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const AMOUNT = /^(0|[1-9]\d{0,6})(?:\.(\d{1,2}))?$/;
const AMOUNT_LITERAL = /"amount"\s*:\s*(-?[0-9][0-9.eE+-]*)/;
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;
export const LETTER = /\p{L}/u;
// The e-mail pattern zod's z.email() uses.
export const EMAIL = /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * The amount as written: a JSON number by its literal in the body `text`, never by the float
 * JSON.parse made of it; a string as it is; undefined for anything else.
 */
export function amountAsWritten(amount: unknown, text: string): string | undefined {
  if (typeof amount === 'number') return AMOUNT_LITERAL.exec(text)?.[1];
  return typeof amount === 'string' ? amount : undefined;
}

/** "25.5" → "25.50"; undefined when not a CAD amount of the contract. */
export function canonicalAmount(text: string): string | undefined {
  const match = AMOUNT.exec(text.trim());
  if (!match) return undefined;
  const canonical = `${match[1] ?? '0'}.${(match[2] ?? '').padEnd(2, '0')}`;
  if (canonical === '0.00') return undefined;
  const [whole = ''] = canonical.split('.');
  if (whole.length > 7 || (whole.length === 7 && canonical > '1000000.00')) return undefined;
  return canonical;
}

export interface Checkout {
  amount: string;
  customerName: string;
  customerEmail: string;
  referenceId: string;
}

async function call(method: 'GET' | 'POST', path: string, requestId: string, headers: Record<string, string>, body?: string) {
  let response;
  try {
    response = await pool.request({
      method,
      path: `${PREFIX}${path}`,
      headers: { 'user-agent': USER_AGENT, accept: 'application/json', 'x-request-id': requestId, ...headers },
      body,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
  } catch (error) {
    const isTimeout = error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError;
    throw new HttpError(isTimeout ? 504 : 502, 'Flinks Pay could not be reached.');
  }
  const text = await response.body.text();
  if (response.statusCode === 404 && method === 'GET') return undefined;
  if (response.statusCode < 200 || response.statusCode > 299) throw new HttpError(502, 'Flinks Pay refused the call.');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new HttpError(502, 'Flinks Pay answered something unreadable.');
  }
}

function field(body: Record<string, unknown> | undefined, name: string): string {
  const value = body?.[name];
  if (typeof value !== 'string' || value === '') throw new HttpError(502, 'Flinks Pay answered something unexpected.');
  return value;
}

async function authorize(requestId: string): Promise<{ value: string; expiresAt: number }> {
  const at = Date.now();
  const body = await call(
    'POST',
    '/api/v1/authorize',
    requestId,
    { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    'grant_type=client_credentials',
  );
  return { value: field(body, 'access_token'), expiresAt: at + Number(body?.expires_in ?? 0) * 1000 };
}

export async function createCheckout(requestId: string, input: Checkout) {
  const token = await authorize(requestId);
  const bearer = { authorization: `Bearer ${token.value}`, 'content-type': 'application/json' };
  const { amount, ...rest } = input;
  const sessionBody = `{"amount":${amount},${JSON.stringify(rest).slice(1)}`;
  const sessionId = field(await call('POST', '/api/v1/sessions/initiate', requestId, bearer, sessionBody), 'sessionId');
  const paymentId = field(await call('POST', '/api/v1/paymentrequests', requestId, bearer, JSON.stringify({ sessionId })), 'requestId');
  if (!REQUEST_ID.test(paymentId)) throw new HttpError(502, 'Flinks Pay answered something unexpected.');
  if (records.size >= MAX_RECORDS) records.delete(records.keys().next().value ?? '');
  records.set(paymentId, input.referenceId);
  return { requestId: paymentId, launchUrl: `${APP_URL}/app/?sessionId=${encodeURIComponent(sessionId)}` };
}

let statusToken: { value: string; expiresAt: number } | undefined;
let pendingToken: Promise<{ value: string; expiresAt: number }> | undefined;

export async function readStatus(requestId: string, paymentId: string) {
  if (!REQUEST_ID.test(paymentId)) throw new HttpError(400, 'The requestId is malformed.', [{ path: 'requestId', message: 'is malformed' }]);
  const referenceId = records.get(paymentId);
  if (referenceId === undefined) throw new HttpError(404, 'No such checkout.');
  // Least recently used goes first, as in the service's store: a checkout being read stays.
  records.delete(paymentId);
  records.set(paymentId, referenceId);
  if (!statusToken || statusToken.expiresAt - 30_000 < Date.now()) {
    pendingToken ??= authorize(requestId).finally(() => (pendingToken = undefined));
    statusToken = await pendingToken;
  }
  const body = await call('GET', `/api/v1/paymentrequests/${paymentId}`, requestId, { authorization: `Bearer ${statusToken.value}` });
  if (!body) throw new HttpError(404, 'No such checkout.');
  const status = field(body, 'status');
  if (!STATUSES.has(status)) throw new HttpError(502, 'Flinks Pay answered something unexpected.');
  return { requestId: paymentId, status, referenceId, final: FINAL.has(status) };
}

/** The problem+json body both floors answer an error with. */
export function problemOf(error: unknown, path: string, requestId: string) {
  const status = error instanceof HttpError ? error.status : 500;
  const detail = error instanceof HttpError ? error.message : 'An unexpected error occurred.';
  const problem = { type: 'about:blank', title: String(status), status, detail, instance: path.split('?')[0], requestId };
  return error instanceof HttpError && error.errors.length > 0 ? { ...problem, errors: error.errors } : problem;
}

/** A request id from the caller's X-Request-Id when it is sane, else a fresh one. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

export const closeUpstream = (): Promise<void> => pool.close();
