import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { errors, Pool } from 'undici';

/*
 * The CPU-bound floor of `npm run bench`: the smallest BFF that still keeps the public contract
 * of POST /checkout and GET /checkout/{requestId} (../shared/bff-api.md), written the way a
 * careful engineer would without a framework: node:http, one undici pool, hand-written checks.
 * It validates exactly what the contract requires (amount judged by its literal, names, e-mail,
 * referenceId, unknown fields, body size and type), makes the same three Flinks calls with the
 * same headers, remembers which checkouts it created, and nothing else: no logging, metrics,
 * rate limits, security headers, idempotency, CORS, OpenAPI or outcome delivery.
 * Compiled with the service and started like it (plain node); it imports nothing from src/ so
 * its memory is its own. Paths are Flinks Pay v1's, as in src/upstream/flinks-pay/schemas.ts.
 */

const env = process.env;
const BASE = new URL(env.FLINKS_BASE_URL ?? 'http://127.0.0.1:1');
const PREFIX = BASE.pathname.replace(/\/$/, '');
const APP_URL = (env.FLINKS_APP_URL ?? BASE.origin).replace(/\/$/, '');
const TIMEOUT_MS = Number(env.UPSTREAM_TIMEOUT_MS ?? 10_000);
const BODY_LIMIT = 16_384;
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
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REFERENCE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const AMOUNT = /^(0|[1-9]\d{0,6})(?:\.(\d{1,2}))?$/;
const AMOUNT_LITERAL = /"amount"\s*:\s*(-?[0-9][0-9.eE+-]*)/;
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const LETTER = /\p{L}/u;
// The e-mail pattern zod's z.email() uses.
const EMAIL = /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

type FieldErrors = { path: string; message: string }[];

/** "25.5" → "25.50"; undefined when not a CAD amount of the contract. */
function canonicalAmount(text: string): string | undefined {
  const match = AMOUNT.exec(text.trim());
  if (!match) return undefined;
  const canonical = `${match[1] ?? '0'}.${(match[2] ?? '').padEnd(2, '0')}`;
  if (canonical === '0.00') return undefined;
  const [whole = ''] = canonical.split('.');
  if (whole.length > 7 || (whole.length === 7 && canonical > '1000000.00')) return undefined;
  return canonical;
}

function personName(value: unknown, path: string, problems: FieldErrors, isRequired: boolean): string | undefined {
  if (value === undefined && !isRequired) return undefined;
  const name = typeof value === 'string' && !INVISIBLE.test(value) ? value.trim() : undefined;
  if (name === undefined || name.length < 1 || name.length > 100 || !LETTER.test(name)) {
    problems.push({ path, message: 'must be 1-100 characters with a letter and no control or invisible characters' });
  }
  return name;
}

interface Checkout {
  amount: string;
  customerName: string;
  customerEmail: string;
  referenceId: string;
}

function validateCheckout(text: string): Checkout {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Send a JSON object.');
  const problems: FieldErrors = [];
  const { amount, customer, referenceId, ...unknown } = body as Record<string, unknown>;
  for (const key of Object.keys(unknown)) problems.push({ path: key, message: 'is not a known field' });
  // A JSON number is judged by its literal as written, never by the float JSON.parse made of it.
  const literal = typeof amount === 'number' ? AMOUNT_LITERAL.exec(text)?.[1] : typeof amount === 'string' ? amount : undefined;
  const canonical = literal === undefined ? undefined : canonicalAmount(literal);
  if (canonical === undefined) problems.push({ path: 'amount', message: 'must be a positive CAD amount, at most 2 decimals and 1000000.00' });
  if (referenceId !== undefined && (typeof referenceId !== 'string' || !REFERENCE_ID.test(referenceId))) {
    problems.push({ path: 'referenceId', message: 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" or "-"' });
  }
  let names: (string | undefined)[] = [];
  let email: unknown;
  if (customer === null || typeof customer !== 'object' || Array.isArray(customer)) {
    problems.push({ path: 'customer', message: 'is required' });
  } else {
    const { firstName, middleName, lastName, email: given, ...extra } = customer as Record<string, unknown>;
    for (const key of Object.keys(extra)) problems.push({ path: `customer.${key}`, message: 'is not a known field' });
    names = [
      personName(firstName, 'customer.firstName', problems, true),
      personName(middleName, 'customer.middleName', problems, false),
      personName(lastName, 'customer.lastName', problems, true),
    ];
    email = given;
    if (typeof email !== 'string' || email.length > 100 || !EMAIL.test(email)) problems.push({ path: 'customer.email', message: 'is not a valid e-mail' });
  }
  if (problems.length > 0) throw new HttpError(400, `The body has ${problems.length} invalid field(s).`, problems);
  return {
    amount: canonical ?? '',
    customerName: names.filter(Boolean).join(' '),
    customerEmail: String(email),
    referenceId: typeof referenceId === 'string' ? referenceId : randomUUID(),
  };
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
  const body = await call('POST', '/api/v1/authorize', requestId, { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials');
  return { value: field(body, 'access_token'), expiresAt: at + Number(body?.expires_in ?? 0) * 1000 };
}

async function createCheckout(requestId: string, input: Checkout) {
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

async function readStatus(requestId: string, paymentId: string) {
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

function reply(res: ServerResponse, requestId: string, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const isError = status >= 400;
  res.writeHead(status, {
    'content-type': isError ? 'application/problem+json' : 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-request-id': requestId,
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, req: IncomingMessage, requestId: string, error: unknown): void {
  const status = error instanceof HttpError ? error.status : 500;
  const detail = error instanceof HttpError ? error.message : 'An unexpected error occurred.';
  const problem = { type: 'about:blank', title: String(status), status, detail, instance: (req.url ?? '/').split('?')[0], requestId };
  reply(res, requestId, status, error instanceof HttpError && error.errors.length > 0 ? { ...problem, errors: error.errors } : problem);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > BODY_LIMIT) reject(new HttpError(413, 'The request body is larger than the limit.'));
    });
    req.on('end', () => { resolve(text); });
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'POST' && path === '/checkout') {
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) throw new HttpError(415, 'Send JSON.');
    const created = await createCheckout(requestId, validateCheckout(await readBody(req)));
    reply(res, requestId, 201, created, { location: `/checkout/${created.requestId}` });
    return;
  }
  if (req.method === 'GET' && path.startsWith('/checkout/')) {
    let id;
    try {
      id = decodeURIComponent(path.slice('/checkout/'.length));
    } catch {
      throw new HttpError(400, 'The requestId is malformed.');
    }
    reply(res, requestId, 200, await readStatus(requestId, id));
    return;
  }
  if (req.method === 'GET' && path === '/health') {
    reply(res, requestId, 200, { status: 'ok' });
    return;
  }
  throw new HttpError(404, 'No such endpoint.');
}

const server = createServer({ keepAlive: true }, (req, res) => {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  handle(req, res, requestId).catch((error: unknown) => { fail(res, req, requestId, error); });
});
server.listen(Number(env.PORT ?? 3000), env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  void pool.close().then(() => process.exit(0));
});
