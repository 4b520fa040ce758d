import { CheckoutRefusedError, type CheckoutCreated, type CheckoutStatus, type Problem } from './types.js';

/** Answers worth asking again with the same Idempotency-Key: in flight elsewhere, rate limited, shedding load. */
const RETRY_POST = new Set([409, 429, 503]);
/** How often a request is sent, at most, before its failure is the caller's. */
const TRIES = 5;
/**
 * A 409 (the first request with the key still running) is asked again this long in all: a checkout
 * may take three upstream calls of up to UPSTREAM_TIMEOUT_MS (10 s by default) before it answers.
 */
const IN_FLIGHT_MS = 45_000;
/** A Retry-After longer than this is an outage for the shopper to hear about, not a wait. */
const MAX_RETRY_AFTER_S = 10;
/** The type of every problem the service itself answers (src/errors/problem.ts). */
const SERVICE_PROBLEM = 'urn:problem-type:flinks-pay-bff:';

/** Status reads that may answer otherwise next time (any 5xx: a CDN's 520 too); a 400 or a 404 never will. */
export const isTransient = (status: number): boolean => status >= 500 || status === 408 || status === 429;

const PAID: ReadonlySet<string> = new Set(['Accepted', 'Processed', 'Settled']);

/** Accepted, Processed or Settled: approved at the bank, funds guaranteed; settlement need not be awaited. */
export const isPaid = (status: CheckoutStatus): boolean => PAID.has(status.status);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retry-After in seconds: delay-seconds, or an HTTP date (RFC 9110 allows either; proxies and CDNs
 * send dates), counted from now and never below 0. NaN when it is neither.
 */
function retryAfterS(header: string): number {
  const seconds = Number(header);
  return Number.isNaN(seconds) ? Math.max(0, (Date.parse(header) - Date.now()) / 1000) : seconds;
}

/**
 * The Retry-After (seconds) of refusals that carried one. Beside the errors, not on them: their own
 * properties are exactly the documented problem bodies.
 */
const retryAfters = new WeakMap<CheckoutRefusedError, number>();
/** Refusals that are the service's own problem+json, not a proxy's or a CDN's error page. */
const fromService = new WeakSet<CheckoutRefusedError>();

/** How long the service asked to wait before asking again, in seconds, if it said. */
export const retryAfterOf = (refused: CheckoutRefusedError): number | undefined => retryAfters.get(refused);

/**
 * A refusal of POST /checkout that the same key would only get again, so the attempt is over: the
 * service's own answer (a 400, its kept 502 or 504), never a proxy's 502 in front of a checkout
 * that may have been made.
 */
export const endsAttempt = (refused: CheckoutRefusedError): boolean => fromService.has(refused) && !RETRY_POST.has(refused.status);

/** POST /checkout is sent again with its key when busy, and through any 5xx that is not the service's kept answer. */
const isPostRetryable = (refused: CheckoutRefusedError): boolean => RETRY_POST.has(refused.status) || (refused.status >= 500 && !fromService.has(refused));

/** The problem in a refused answer; a proxy's HTML error page becomes one too. */
async function refusal(response: Response, path: string): Promise<CheckoutRefusedError> {
  const answer: unknown = await response.json().catch(() => undefined);
  const body = typeof answer === 'object' && answer !== null ? (answer as Partial<Problem>) : {};
  const refused = new CheckoutRefusedError({
    type: 'about:blank',
    title: response.statusText || 'Error',
    detail: `The checkout service answered HTTP ${response.status}.`,
    instance: path,
    requestId: response.headers.get('x-request-id') ?? '',
    ...body,
    status: response.status,
  });
  const retryAfter = retryAfterS(response.headers.get('retry-after') ?? 'none');
  if (!Number.isNaN(retryAfter)) retryAfters.set(refused, retryAfter);
  const isProblem = /^application\/problem\+json/i.test(response.headers.get('content-type') ?? '');
  if (isProblem && body.status === response.status && String(body.type).startsWith(SERVICE_PROBLEM)) fromService.add(refused);
  return refused;
}

/**
 * Sends `request` until it is answered with a 2xx or refused for good, at most TRIES times (a 409
 * for up to IN_FLIGHT_MS): a lost answer (a network failure) again after a growing pause, a
 * `retryable` refusal after its Retry-After (1 s without one). A refusal throws
 * CheckoutRefusedError, a network failure a TypeError.
 */
async function patiently(request: () => Promise<Response>, retryable: (refused: CheckoutRefusedError) => boolean, path: string): Promise<Response> {
  const started = Date.now();
  for (let tries = 1; ; tries++) {
    let response: Response;
    try {
      response = await request();
    } catch (error) {
      if (tries >= TRIES) throw error;
      await sleep(250 * 2 ** tries);
      continue;
    }
    if (response.ok) return response;
    const refused = await refusal(response, path);
    const retryAfter = retryAfterOf(refused) ?? 1;
    const isPatient = tries < TRIES || (refused.status === 409 && Date.now() - started < IN_FLIGHT_MS);
    if (!retryable(refused) || !isPatient || !(retryAfter <= MAX_RETRY_AFTER_S)) throw refused;
    await sleep(Math.max(250, retryAfter * 1000));
  }
}

const statusPath = (requestId: string): string => `/checkout/${encodeURIComponent(requestId)}`;
const getStatus = (base: string, path: string) => (): Promise<Response> => fetch(base + path, { cache: 'no-store' });

/** GET /checkout/{requestId}, once; a refusal throws CheckoutRefusedError, a network failure a TypeError. */
export async function readStatus(base: string, requestId: string): Promise<CheckoutStatus> {
  const path = statusPath(requestId);
  const response = await getStatus(base, path)();
  if (!response.ok) throw await refusal(response, path);
  return (await response.json()) as CheckoutStatus;
}

/** GET /checkout/{requestId}, asked again through a network failure or a transient refusal. */
export async function readStatusPatiently(base: string, requestId: string): Promise<CheckoutStatus> {
  const path = statusPath(requestId);
  return (await (await patiently(getStatus(base, path), (refused) => isTransient(refused.status), path)).json()) as CheckoutStatus;
}

/**
 * POST /checkout with `key` as Idempotency-Key. A lost answer, a busy service or a proxy's 5xx is
 * asked again with the same key, which the service answers with the first checkout: never a second payment.
 */
export async function postCheckout(base: string, body: object, key: string): Promise<CheckoutCreated> {
  const post = (): Promise<Response> =>
    fetch(`${base}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
  return (await (await patiently(post, isPostRetryable, '/checkout')).json()) as CheckoutCreated;
}
