import { CheckoutRefusedError, type CheckoutCreated, type CheckoutStatus, type Problem } from './types.js';

/** Answers worth asking again with the same Idempotency-Key: in flight elsewhere, rate limited, shedding load. */
const RETRY_POST = new Set([409, 429, 503]);

/** A refusal of POST /checkout that the same key would only get again: the attempt is over. */
export const endsAttempt = (status: number): boolean => !RETRY_POST.has(status);
const POST_TRIES = 5;
/** A Retry-After longer than this is an outage for the shopper to hear about, not a wait. */
const MAX_RETRY_AFTER_S = 10;

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

/** How long the service asked to wait before asking again, in seconds, if it said. */
export const retryAfterOf = (refused: CheckoutRefusedError): number | undefined => retryAfters.get(refused);

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
  return refused;
}

/** GET /checkout/{requestId}; a refusal throws CheckoutRefusedError, a network failure a TypeError. */
export async function readStatus(base: string, requestId: string): Promise<CheckoutStatus> {
  const path = `/checkout/${encodeURIComponent(requestId)}`;
  const response = await fetch(base + path, { cache: 'no-store' });
  if (!response.ok) throw await refusal(response, path);
  return (await response.json()) as CheckoutStatus;
}

/**
 * POST /checkout with `key` as Idempotency-Key. A lost answer or a busy service is asked again with
 * the same key, which the service answers with the first checkout: never a second payment.
 */
export async function postCheckout(base: string, body: object, key: string): Promise<CheckoutCreated> {
  for (let tries = 1; ; tries++) {
    let response: Response;
    try {
      response = await fetch(`${base}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
    } catch (error) {
      if (tries >= POST_TRIES) throw error;
      await sleep(250 * 2 ** tries);
      continue;
    }
    if (response.status === 201) return (await response.json()) as CheckoutCreated;
    const retryAfter = retryAfterS(response.headers.get('retry-after') ?? '1');
    if (!RETRY_POST.has(response.status) || tries >= POST_TRIES || !(retryAfter <= MAX_RETRY_AFTER_S)) {
      throw await refusal(response, '/checkout');
    }
    await sleep(Math.max(250, retryAfter * 1000));
  }
}
