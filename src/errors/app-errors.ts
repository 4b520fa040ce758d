/*
 * Typed errors thrown by services. Each carries the HTTP status it maps to and a `detail` that is
 * safe to show a client; anything sensitive (upstream bodies, causes) stays in `cause` for the logs.
 */

export type ProblemCode =
  | 'validation-failed'
  | 'not-found'
  | 'checkout-not-found'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'rate-limited'
  | 'upstream-error'
  | 'upstream-timeout'
  | 'not-ready'
  | 'overloaded'
  | 'idempotency-in-flight'
  | 'idempotency-mismatch'
  | 'idempotency-unavailable'
  | 'checkout-interrupted'
  | 'upstream-unavailable'
  | 'not-acceptable'
  | 'invalid-intent'
  | 'invalid-webhook-signature'
  | 'ops-unauthorized'
  | 'nothing-to-redeliver'
  | 'merchant-webhooks-off'
  | 'intent-keys-unavailable'
  | 'records-unavailable'
  | 'malformed-request'
  | 'request-timeout'
  | 'headers-too-large'
  | 'expectation-failed'
  | 'method-not-implemented'
  | 'request-refused'
  | 'internal-error';

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: ProblemCode;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>> = {};

  constructor(detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.name = new.target.name;
  }
}

export class CheckoutNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'checkout-not-found';
  constructor(requestId: string) {
    super(`No checkout with requestId ${requestId} exists.`);
  }
}

export type UpstreamStep = 'authorize' | 'initiate' | 'paymentrequest' | 'status';

const STEP_NAMES: Readonly<Record<UpstreamStep, string>> = {
  authorize: 'authorization',
  initiate: 'session creation',
  paymentrequest: 'payment request',
  status: 'status lookup',
};

export interface UpstreamErrorOptions extends ErrorOptions {
  /** What the client should do next, ending the detail; "Retry later." unless the caller knows better. */
  advice?: string;
  /**
   * Flinks answered in JSON that this service does not read (e.g. a status outside the nine it
   * documents): an answer about this call, no sign that Flinks is unwell.
   */
  aboutThisCall?: boolean;
}

/**
 * What went wrong, for the detail: no answer at all (refused, reset), an error status, or an
 * answer that cannot be used (a redirect, a body outside the contract). Neither Flinks' body nor
 * its status code: a shopper's browser has no use for them, and a 401 would tell anyone that the
 * merchant's credentials are broken. The log line has both.
 */
function rejectionOf(step: UpstreamStep, upstreamStatus: number | undefined): string {
  if (upstreamStatus === undefined) return `Flinks Pay could not be reached, or dropped the connection, during the ${STEP_NAMES[step]} call.`;
  if (upstreamStatus >= 400) return `Flinks Pay answered the ${STEP_NAMES[step]} call with an error.`;
  return `Flinks Pay returned an unusable answer to the ${STEP_NAMES[step]} call.`;
}

/** Flinks answered with an error status or a body that does not fit its contract, or did not answer at all. */
export class UpstreamRejectedError extends AppError {
  readonly status = 502;
  readonly code = 'upstream-error';
  readonly aboutThisCall: boolean;
  constructor(
    readonly step: UpstreamStep,
    readonly upstreamStatus: number | undefined,
    options?: UpstreamErrorOptions,
  ) {
    super(`${rejectionOf(step, upstreamStatus)} ${options?.advice ?? 'Retry later.'}`, options);
    this.aboutThisCall = options?.aboutThisCall === true;
  }
}

/** Flinks did not answer (or the connection failed) within UPSTREAM_TIMEOUT_MS. */
export class UpstreamTimeoutError extends AppError {
  readonly status = 504;
  readonly code = 'upstream-timeout';
  constructor(
    readonly step: UpstreamStep,
    options?: UpstreamErrorOptions,
  ) {
    super(`Flinks Pay did not answer the ${STEP_NAMES[step]} call in time. ${options?.advice ?? 'Retry later.'}`, options);
  }
}

export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly code = 'rate-limited';
  override readonly headers: Readonly<Record<string, string>>;
  /**
   * `what` names what there is too much of (default: requests). `limit`, for a limit the rate-limit
   * plugin does not answer itself: the X-RateLimit-* headers then speak of this limit, not of
   * another one the request passed before it.
   */
  constructor(retryAfterSeconds: number, what = 'Too many requests', limit?: number) {
    super(`${what}; retry in ${retryAfterSeconds} s.`);
    const retryAfter = String(retryAfterSeconds);
    this.headers =
      limit === undefined
        ? { 'retry-after': retryAfter }
        : { 'retry-after': retryAfter, 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': retryAfter };
  }
}

/** The service refuses work it cannot take on right now; the client may retry after a pause. */
export class OverloadedError extends AppError {
  readonly status = 503;
  readonly code = 'overloaded';
  override readonly headers: Readonly<Record<string, string>>;
  constructor(retryAfterSeconds: number, detail: string) {
    super(`${detail} Retry in ${retryAfterSeconds} s.`);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
  }
}

export class IdempotencyInFlightError extends AppError {
  readonly status = 409;
  readonly code = 'idempotency-in-flight';
  override readonly headers = { 'retry-after': '1' };
  constructor(detail = 'A request with this Idempotency-Key is still being processed; retry in a moment to get its result.') {
    super(detail);
  }
}

export class IdempotencyMismatchError extends AppError {
  readonly status = 422;
  readonly code = 'idempotency-mismatch';
  constructor(detail = 'This Idempotency-Key was already used with a different request body; use a new key for a new checkout.') {
    super(detail);
  }
}

/** The shared store is down, so the promise a key makes (one payment, however many retries) cannot be kept. */
export class IdempotencyUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'idempotency-unavailable';
  override readonly headers = { 'retry-after': '5' };
  constructor(options?: ErrorOptions & { detail?: string }) {
    super(options?.detail ?? 'Idempotency keys cannot be honoured right now; retry shortly with the same key.', options);
  }
}

/**
 * The checkout first made with this key was cut off before it answered (its instance stopped):
 * whether Flinks made its payment request is unknown and none was handed out, so the checkout is
 * never run again under the same key, which could make a second one. Kept under the key like a 504.
 */
export class CheckoutInterruptedError extends AppError {
  readonly status = 504;
  readonly code = 'checkout-interrupted';
  constructor(
    detail = 'The checkout first sent with this Idempotency-Key was cut off before it answered (the instance running it ' +
      'stopped), so whether Flinks Pay made its payment request is unknown; none was handed out. Start the checkout ' +
      'again with a new Idempotency-Key: this one keeps this answer.',
  ) {
    super(detail);
  }
}

/**
 * The store of checkouts created here (Redis) cannot answer, so whether this service created a
 * checkout is unknown: a read is refused for now rather than answered "not found".
 */
export class RecordsUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'records-unavailable';
  override readonly headers = { 'retry-after': '5' };
  constructor(options?: ErrorOptions & { detail?: string }) {
    super(options?.detail ?? 'Checkouts cannot be looked up right now; retry shortly.', options);
  }
}

/** The circuit to Flinks is open after repeated failures: answered at once instead of waiting on it. */
export class UpstreamUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'upstream-unavailable';
  override readonly headers: Readonly<Record<string, string>>;
  constructor(retryAfterSeconds: number, options?: ErrorOptions) {
    super(`Flinks Pay is failing repeatedly; calls to it are paused. Retry in ${retryAfterSeconds} s.`, options);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
  }
}

export class NotAcceptableError extends AppError {
  readonly status = 406;
  readonly code = 'not-acceptable';
  constructor(produces: string) {
    super(`This endpoint only produces ${produces}; send Accept: ${produces}.`);
  }
}

/** A JSON body declared in a charset other than UTF-8, the only one JSON exchanged between systems may use (RFC 8259). */
export class UnsupportedCharsetError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported-media-type';
  constructor(charset: string) {
    super(`The body is declared as charset=${charset}; send JSON as UTF-8 (charset=utf-8, or no charset).`);
  }
}

export class UnsupportedContentEncodingError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported-media-type';
  constructor(coding: string) {
    super(`The body is sent with Content-Encoding: ${coding}; send it uncompressed (no Content-Encoding).`);
  }
}

/** A well-formed body refused by a rule its schema cannot know (e.g. whether signing is configured). */
export class InputRefusedError extends AppError {
  readonly status = 400;
  readonly code = 'validation-failed';
  constructor(
    detail: string,
    readonly errors: readonly { path: string; message: string }[],
  ) {
    super(detail);
  }
}

/** Why a checkout intent was refused; logged with the error, never more than the detail is shown. */
export type IntentProblem = 'malformed' | 'algorithm' | 'unknown-key' | 'signature' | 'claims' | 'expired' | 'not-yet-valid' | 'lifetime';

/** A checkout intent that cannot be trusted: malformed, wrongly signed, outside its lifetime or missing claims. */
export class InvalidIntentError extends AppError {
  readonly status = 401;
  readonly code = 'invalid-intent';
  // RFC 9110 wants a challenge with every 401; this custom scheme never opens a browser login prompt.
  override readonly headers = { 'www-authenticate': 'CheckoutIntent realm="checkout"' };
  constructor(
    readonly reason: IntentProblem,
    detail: string,
  ) {
    super(`The intent is not valid: ${detail} Ask the merchant's backend for a new one.`);
  }
}

/** When an intent refused for want of keys may come back: the key set is downloaded again by then (intents/key-set-source.ts). */
export const INTENT_KEYS_RETRY_AFTER_SECONDS = 5;

/** The key set of CHECKOUT_JWKS_URL cannot be fetched, so no intent can be checked: our outage, not the client's. */
export class IntentKeysUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'intent-keys-unavailable';
  override readonly headers = { 'retry-after': String(INTENT_KEYS_RETRY_AFTER_SECONDS) };
  constructor(options?: ErrorOptions) {
    super('The keys that verify checkout intents cannot be fetched right now; retry shortly with the same intent.', options);
  }
}

/** Redelivery asked for before any status event of the checkout was sent: there is nothing to send again. */
export class NothingToRedeliverError extends AppError {
  readonly status = 409;
  readonly code = 'nothing-to-redeliver';
  constructor() {
    super(
      'No status event has been sent for this checkout yet: it is still Initiated, and the merchant gets its first ' +
        'event when its status changes. Use refresh to read it from Flinks now.',
    );
  }
}

/** Redelivery asked for while no merchant webhook endpoint is configured (a code of its own: not-ready is GET /ready's). */
export class MerchantWebhooksOffError extends AppError {
  readonly status = 503;
  readonly code = 'merchant-webhooks-off';
  constructor() {
    super('Merchant webhooks are off: set MERCHANT_WEBHOOK_URL and MERCHANT_WEBHOOK_SECRET to send them.');
  }
}
