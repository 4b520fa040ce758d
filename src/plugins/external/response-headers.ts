/*
 * The response headers the service sends, as the OpenAPI document declares them: one row per
 * header and the answers that carry it. Keep it in step with the code that sets them (named in
 * each row); test/routes/response-headers.test.ts checks live answers against this table.
 */

/** One answer of the API, as the document lists it: method in lower case, path as templated, status code. */
interface Answer {
  method: string;
  path: string;
  status: string;
}

/** An OpenAPI 3.1 Header Object. */
interface HeaderObject {
  description: string;
  required: boolean;
  schema: Record<string, unknown>;
}

interface HeaderRow {
  name: string;
  /** Its name under components.headers, where it is written once and referred to. */
  id: string;
  carriedBy: Carries;
  header: HeaderObject;
}

type Carries = (answer: Answer) => boolean;

const every: Carries = () => true;
const withStatus =
  (...codes: string[]): Carries =>
  (answer) =>
    codes.includes(answer.status);
const under =
  (...prefixes: string[]): Carries =>
  (answer) =>
    prefixes.some((prefix) => answer.path === prefix || answer.path.startsWith(`${prefix}/`));
const operation =
  (method: string, path: string): Carries =>
  (answer) =>
    answer.method === method && answer.path === path;
const allOf =
  (...tests: Carries[]): Carries =>
  (answer) =>
    tests.every((test) => test(answer));
const anyOf =
  (...tests: Carries[]): Carries =>
  (answer) =>
    tests.some((test) => test(answer));
const createCheckout = (...codes: string[]): Carries => allOf(operation('post', '/checkout'), withStatus(...codes));
const none =
  (...tests: Carries[]): Carries =>
  (answer) =>
    !tests.some((test) => test(answer));

const retryable = anyOf(withStatus('429', '503'), createCheckout('409'));
/** The operations behind a per-client limit (a route's config.rateLimit, or the ops budget). */
const rateLimited = anyOf(
  operation('post', '/checkout'),
  operation('get', '/checkout/{requestId}'),
  operation('get', '/checkout/{requestId}/events'),
  operation('post', '/webhooks/flinks'),
  under('/ops'),
);
/** Sent by @fastify/rate-limit on the answers of a request it counted (not one refused before it, such as a shed 503). */
const rateLimitHeader = (description: string): HeaderObject => ({ description, required: false, schema: { type: 'integer', minimum: 0 } });
/** Its 503 is also merchant-webhooks-off: a setting, not a moment, so it names no time to retry. */
const redeliveryUnavailable = allOf(operation('post', '/ops/checkouts/{requestId}/redeliver'), withStatus('503'));

const RESPONSE_HEADERS: readonly HeaderRow[] = [
  {
    // plugins/app/request-id.ts (and early-errors.ts for answers made before routing).
    name: 'x-request-id',
    id: 'RequestId',
    carriedBy: every,
    header: {
      description:
        "This request's id: the caller's own x-request-id when it sent a sane one, else a new UUID. " +
        'Every log line of the request carries it; quote it when reporting a problem.',
      required: true,
      schema: { type: 'string' },
    },
  },
  {
    // errors/app-errors.ts: RateLimitedError, every 503 error but MerchantWebhooksOffError, and IdempotencyInFlightError; routes/health.ts for /ready.
    name: 'Retry-After',
    id: 'RetryAfter',
    carriedBy: allOf(retryable, none(redeliveryUnavailable)),
    header: {
      description: 'Seconds to wait before trying again (a 409: the first request with this key is still running).',
      required: true,
      schema: { type: 'integer', minimum: 1 },
    },
  },
  {
    // ops-console.ts: MerchantWebhooksOffError sends none; the store's and load shedding's 503s do.
    name: 'Retry-After',
    id: 'RetryAfterUnlessOff',
    carriedBy: redeliveryUnavailable,
    header: {
      description: 'Seconds to wait before trying again; absent on `merchant-webhooks-off`, which lasts until merchant webhooks are configured.',
      required: false,
      schema: { type: 'integer', minimum: 1 },
    },
  },
  {
    // routes/checkout/no-store.ts, registered by the checkout and ops routes.
    name: 'Cache-Control',
    id: 'NoStore',
    carriedBy: under('/checkout', '/ops'),
    header: {
      description: 'A launch URL or a payment status is never kept by a browser, proxy or CDN.',
      required: true,
      schema: { type: 'string', const: 'no-store' },
    },
  },
  {
    // routes/checkout/create.ts; a replay repeats it (plugins/app/checkout-idempotency.ts).
    name: 'Location',
    id: 'CheckoutLocation',
    carriedBy: createCheckout('201'),
    header: { description: 'The status of the new checkout: `/checkout/{requestId}`.', required: true, schema: { type: 'string' } },
  },
  {
    // plugins/app/checkout-idempotency.ts: the answers it keeps for a key (201, and a 502 or 504 once Flinks was called).
    name: 'Idempotent-Replayed',
    id: 'IdempotentReplayed',
    carriedBy: createCheckout('201', '502', '504'),
    header: {
      description:
        'Present, `true`, only when this is the kept answer of an earlier request with the same Idempotency-Key or intent; absent on a first answer.',
      required: false,
      schema: { type: 'string', const: 'true' },
    },
  },
  {
    // errors/app-errors.ts: InvalidIntentError.
    name: 'WWW-Authenticate',
    id: 'IntentChallenge',
    carriedBy: createCheckout('401'),
    header: { description: 'The challenge of a refused intent: `CheckoutIntent realm="checkout"`.', required: true, schema: { type: 'string' } },
  },
  {
    // plugins/app/ops-auth.ts (RFC 6750).
    name: 'WWW-Authenticate',
    id: 'OpsChallenge',
    carriedBy: allOf(under('/ops'), withStatus('401')),
    header: {
      description: 'The bearer challenge: `Bearer realm="ops"`, with `error="invalid_token"` when a token was sent.',
      required: true,
      schema: { type: 'string' },
    },
  },
  {
    // plugins/external/rate-limit.ts (@fastify/rate-limit), for the routes that opt in.
    name: 'X-RateLimit-Limit',
    id: 'RateLimitLimit',
    carriedBy: rateLimited,
    header: rateLimitHeader('Requests this client may make in one window on this operation (RATE_LIMIT_MAX for POST /checkout).'),
  },
  {
    name: 'X-RateLimit-Remaining',
    id: 'RateLimitRemaining',
    carriedBy: rateLimited,
    header: rateLimitHeader('Requests left to this client in the current window.'),
  },
  {
    name: 'X-RateLimit-Reset',
    id: 'RateLimitReset',
    carriedBy: rateLimited,
    header: rateLimitHeader('Seconds until the current window ends and the count starts again.'),
  },
];

type Responses = Record<string, { headers?: Record<string, { $ref: string }> } | undefined>;

/** The parts of an OpenAPI document this touches. */
export interface DocumentPaths {
  paths?: Record<string, Record<string, { responses?: Responses } | undefined> | undefined>;
  components?: { headers?: Record<string, HeaderObject> };
}

/**
 * Declares on every response of `document` the headers of RESPONSE_HEADERS that it carries, each
 * written once under components.headers and referred to from the responses.
 */
export function declareResponseHeaders(document: DocumentPaths): void {
  const used = new Set<HeaderRow>();
  for (const [path, pathItem] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(pathItem ?? {})) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const rows = RESPONSE_HEADERS.filter((row) => row.carriedBy({ method, path, status }));
        if (!response || rows.length === 0) continue;
        response.headers = Object.fromEntries(rows.map((row) => [row.name, { $ref: `#/components/headers/${row.id}` }]));
        for (const row of rows) used.add(row);
      }
    }
  }
  const declared = RESPONSE_HEADERS.filter((row) => used.has(row)).map((row): [string, HeaderObject] => [row.id, row.header]);
  document.components = { ...document.components, headers: Object.fromEntries(declared) };
}
