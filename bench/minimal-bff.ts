import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  amountAsWritten,
  BODY_LIMIT,
  canonicalAmount,
  closeUpstream,
  createCheckout,
  EMAIL,
  HttpError,
  INVISIBLE,
  LETTER,
  problemOf,
  readStatus,
  REFERENCE_ID,
  requestIdOf,
  type Checkout,
} from './minimal-core.js';

/*
 * The CPU-bound floor of `npm run bench`: the smallest BFF that still keeps the public contract
 * of POST /checkout and GET /checkout/{requestId} (../shared/bff-api.md), written the way a
 * careful engineer would without a framework: node:http, one undici pool, hand-written checks.
 * It validates exactly what the contract requires (amount judged by its literal, names, e-mail,
 * referenceId, unknown fields, body size and type), makes the same three Flinks calls with the
 * same headers (minimal-core.ts), remembers which checkouts it created, and nothing else: no
 * logging, metrics, rate limits, security headers, idempotency, CORS, OpenAPI or outcome delivery.
 * Compiled with the service and started like it (plain node); it imports nothing from src/ so
 * its memory is its own.
 */

type FieldErrors = { path: string; message: string }[];

function personName(value: unknown, path: string, problems: FieldErrors, isRequired: boolean): string | undefined {
  if (value === undefined && !isRequired) return undefined;
  const name = typeof value === 'string' && !INVISIBLE.test(value) ? value.trim() : undefined;
  if (name === undefined || name.length < 1 || name.length > 100 || !LETTER.test(name)) {
    problems.push({ path, message: 'must be 1-100 characters with a letter and no control or invisible characters' });
  }
  return name;
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
  const literal = amountAsWritten(amount, text);
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
  const problem = problemOf(error, req.url ?? '/', requestId);
  reply(res, requestId, problem.status, problem);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > BODY_LIMIT) reject(new HttpError(413, 'The request body is larger than the limit.'));
    });
    req.on('end', () => {
      resolve(text);
    });
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
  const requestId = requestIdOf(req.headers['x-request-id']);
  handle(req, res, requestId).catch((error: unknown) => {
    fail(res, req, requestId, error);
  });
});
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  void closeUpstream().then(() => process.exit(0));
});
