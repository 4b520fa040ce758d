import type { FastifyBaseLogger } from 'fastify';
import type { Dispatcher } from 'undici';
import { UpstreamRejectedError, UpstreamTimeoutError, type UpstreamStep } from '../../errors/app-errors.js';
import type { CanonicalAmount } from '../../money/cad-amount.js';
import type { UpstreamCallLine } from '../../observability/access-log.js';
import { REQUEST_ID_HEADER } from '../../observability/logger.js';
import {
  AuthorizeResponseSchema,
  CreatePaymentRequestResponseSchema,
  FLINKS_PATHS,
  InitiateSessionResponseSchema,
  PaymentRequestStatusResponseSchema,
  type InitiateSessionRequest,
  type PaymentRequestStatusResponse,
} from './schemas.js';
import { createUpstreamResilience, type ResilienceOptions } from './resilience.js';
import { createTransport, type Exchange, type ResponseShape } from './transport.js';

export type { ResponseShape };

export interface FlinksPayApiOptions {
  baseUrl: string | (() => string);
  credentials: { username: string; password: string };
  /**
   * `basic` (default): credentials in the Basic header only, as the e-Transfer quick-start shows.
   * `basic+form`: also as Username/Password form fields, as the v1 OpenAPI page lists them.
   */
  authorizeStyle?: 'basic' | 'basic+form';
  /** Sent as the `BaseURI` header on every call when set. */
  instance?: string;
  timeoutMs: number;
  connections: number;
  userAgent: string;
  maxResponseBytes?: number;
  dispatcher?: Dispatcher;
  now?: () => number;
  resilience?: ResilienceOptions;
  /** Told the duration and outcome of every call, e.g. for metrics. */
  observe?: (step: UpstreamStep, outcome: CallOutcome, seconds: number) => void;
  /** Told the status and field names (never values) of every response, e.g. by `npm run flinks:check`. */
  inspect?: (response: ResponseShape) => void;
}

export type CallOutcome = 'ok' | 'rejected' | 'timeout' | 'unavailable';

/** The status Flinks answered a failed call with, when it answered at all. */
function statusOf(error: unknown): { status?: number } {
  return error instanceof UpstreamRejectedError && error.upstreamStatus !== undefined ? { status: error.upstreamStatus } : {};
}

function outcomeOf(error: unknown): Exclude<CallOutcome, 'ok'> {
  if (error instanceof UpstreamTimeoutError) return 'timeout';
  if (error instanceof UpstreamRejectedError) return 'rejected';
  return 'unavailable';
}

const DEFAULT_RESILIENCE: ResilienceOptions = {
  failureThreshold: 5,
  halfOpenAfterMs: 10_000,
  maxConcurrency: 256,
  maxQueue: 1024,
};

/** Context of the inbound request an upstream call serves: its logger and id travel along. */
export interface CallContext {
  log: FastifyBaseLogger;
  requestId: string;
  /**
   * Where a successful call is listed instead of on a line of its own (the request's access line);
   * failures are always logged at once.
   */
  record?: (call: UpstreamCallLine) => void;
  /**
   * When set (ms since the epoch), a call still waiting for a free slot at that moment is not sent:
   * a checkout must end while its Idempotency-Key claim is held, however long calls queue.
   */
  notAfter?: number;
}

export interface AccessToken {
  value: string;
  /** Epoch milliseconds after which Flinks no longer accepts it. */
  expiresAt: number;
}

export type SessionInput = Omit<InitiateSessionRequest, 'amount'> & { amount: CanonicalAmount };

/**
 * The four Flinks Pay v1 calls as they are on the wire, one call each: the caller passes the
 * bearer token. Token handling (prefetch, reuse for status reads, re-authorize) is the client's.
 */
export function createFlinksPayApi(options: FlinksPayApiOptions) {
  const transport = createTransport({
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    connections: options.connections,
    maxResponseBytes: options.maxResponseBytes ?? 64 * 1024,
    userAgent: options.userAgent,
    dispatcher: options.dispatcher,
    inspect: options.inspect,
  });
  const now = options.now ?? Date.now;
  const resilience = createUpstreamResilience(options.resilience ?? DEFAULT_RESILIENCE);
  const basicAuth = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
  const authorizeForm =
    options.authorizeStyle === 'basic+form'
      ? new URLSearchParams({
          grant_type: 'client_credentials',
          Username: options.credentials.username,
          Password: options.credentials.password,
        }).toString()
      : 'grant_type=client_credentials';
  const instanceHeader: Record<string, string> = options.instance ? { baseuri: options.instance } : {};

  async function call<T>(ctx: CallContext, exchange: Exchange<T>): Promise<T | undefined> {
    const headers = { ...instanceHeader, [REQUEST_ID_HEADER]: ctx.requestId, ...exchange.headers };
    const started = performance.now();
    try {
      const { notAfter } = ctx;
      const isTooLate = notAfter === undefined ? undefined : () => now() > notAfter;
      const result = await resilience.run(exchange.step, () => transport.send({ ...exchange, headers }), isTooLate);
      options.observe?.(exchange.step, 'ok', result.durationMs / 1000);
      const line = { step: exchange.step, status: result.statusCode, durationMs: round(result.durationMs) };
      if (ctx.record) ctx.record(line);
      else ctx.log.info({ upstream: { ...line, method: exchange.method, path: exchange.path } }, 'upstream call');
      return result.value;
    } catch (error) {
      const outcome = outcomeOf(error);
      const durationMs = performance.now() - started;
      options.observe?.(exchange.step, outcome, durationMs / 1000);
      // A call Flinks took part in is listed on the access line too; one refused here (open circuit,
      // full queue) never left this process.
      if (ctx.record && outcome !== 'unavailable') {
        ctx.record({ step: exchange.step, ...statusOf(error), durationMs: round(durationMs), outcome });
      }
      ctx.log.warn({ upstream: { step: exchange.step, method: exchange.method, path: exchange.path }, err: error }, 'upstream call failed');
      throw error;
    }
  }

  function bearer(token: AccessToken): Record<string, string> {
    return { authorization: `Bearer ${token.value}` };
  }

  return {
    /** Exchanges the onboarding credentials for a fresh, single-session bearer token. */
    async authorize(ctx: CallContext): Promise<AccessToken> {
      const requestedAt = now();
      const body = await call(ctx, {
        step: 'authorize',
        method: 'POST',
        path: FLINKS_PATHS.authorize,
        headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
        body: authorizeForm,
        schema: AuthorizeResponseSchema,
      });
      const token = required(body);
      return { value: token.access_token, expiresAt: requestedAt + token.expires_in * 1000 };
    },

    /** Creates a payment session for the shopper; the amount is written as an exact JSON number. */
    async initiateSession(ctx: CallContext, token: AccessToken, input: SessionInput) {
      const { amount, ...rest } = input;
      return required(
        await call(ctx, {
          step: 'initiate',
          method: 'POST',
          path: FLINKS_PATHS.initiateSession,
          headers: { ...bearer(token), 'content-type': 'application/json' },
          body: jsonWithLeadingNumber('amount', amount, rest),
          schema: InitiateSessionResponseSchema,
        }),
      );
    },

    /** Links a payment request to the session; only then can the Flinks app complete it. */
    async createPaymentRequest(ctx: CallContext, token: AccessToken, sessionId: string) {
      return required(
        await call(ctx, {
          step: 'paymentrequest',
          method: 'POST',
          path: FLINKS_PATHS.paymentRequests,
          headers: { ...bearer(token), 'content-type': 'application/json' },
          body: JSON.stringify({ sessionId }),
          schema: CreatePaymentRequestResponseSchema,
        }),
      );
    },

    /** Reads a payment request's status; undefined when Flinks does not know the id. */
    async getPaymentRequest(ctx: CallContext, token: AccessToken, requestId: string): Promise<PaymentRequestStatusResponse | undefined> {
      return call(ctx, {
        step: 'status',
        method: 'GET',
        path: `${FLINKS_PATHS.paymentRequests}/${encodeURIComponent(requestId)}`,
        headers: bearer(token),
        schema: PaymentRequestStatusResponseSchema,
        // The status of another payment request must never pass for this one's.
        refuse: (answer) => (isAbout(answer, requestId) ? undefined : 'the answer names another payment request'),
        absentOn: [404],
      });
    },

    resilience,

    close: () => transport.close(),
  };
}

/** Whether a status answer is about `requestId` (an answer naming no id is taken as about it). */
function isAbout(answer: PaymentRequestStatusResponse, requestId: string): boolean {
  // A GUID's letter case carries no meaning.
  return answer.requestId === undefined || answer.requestId.toLowerCase() === requestId.toLowerCase();
}

function required<T>(value: T | undefined): T {
  // A 2xx always carries a parsed body; `undefined` only comes back for statuses listed in absentOn.
  if (value === undefined) throw new TypeError('upstream body missing');
  return value;
}

/**
 * JSON text with `key` first, holding a decimal literal that was validated digit by digit, so the
 * amount is never converted to a float on its way to Flinks.
 */
function jsonWithLeadingNumber(key: string, literal: CanonicalAmount, rest: object): string {
  const others = JSON.stringify(rest).slice(1, -1);
  return `{${JSON.stringify(key)}:${literal}${others ? `,${others}` : ''}}`;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
