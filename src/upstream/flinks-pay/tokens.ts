import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { AccessToken, CallContext } from './api.js';

type Authorize = (ctx: CallContext) => Promise<AccessToken>;

export interface TokenPoolOptions {
  authorize: Authorize;
  log: FastifyBaseLogger;
  /** Upper bound on tokens held (and on authorize calls in flight to refill). */
  maxSize: number;
  now: () => number;
  /** Told whether each take was served from the pool, e.g. for metrics. */
  onTake?: (isHit: boolean) => void;
}

/** Demand is measured over this window; with no checkout in it the pool empties and stays empty. */
const DEMAND_WINDOW_MS = 10_000;

/**
 * A second, short measure of demand, so the pool grows within a fraction of a second when checkouts
 * start (after an idle spell the 10 s average alone took seconds, missing most takes meanwhile),
 * while the long one keeps it through short lulls.
 */
const RISE_WINDOW_MS = 200;

/** Tokens (for status reads, and pooled ones for sessions) are dropped at least this long before Flinks says they expire (clock skew, latency). */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * A pooled token is used only while most of its life is left, so it can never expire between
 * being taken and the session call (Flinks says nothing of clock skew).
 */
function isFresh(token: AccessToken, issuedAt: number, now: number): boolean {
  const lifetime = token.expiresAt - issuedAt;
  return now < token.expiresAt - Math.max(EXPIRY_MARGIN_MS, lifetime / 4);
}

export interface SessionTokens {
  /** A token no one else has used. */
  take(ctx: CallContext): Promise<AccessToken>;
  /** Tokens held ready right now. */
  readonly size: number;
}

/** Without prefetch, every checkout authorizes for itself. */
export function createDirectTokens(authorize: Authorize): SessionTokens {
  return { take: authorize, size: 0 };
}

/**
 * Fresh, unused bearer tokens prefetched so a checkout skips the authorize round trip. Each token
 * is handed out once (Flinks: one token, one session). The pool size follows recent demand: enough
 * to cover checkouts arriving while a refill runs, and zero when idle, so an idle service calls
 * nobody.
 */
export function createTokenPool(options: TokenPoolOptions): SessionTokens {
  const { now } = options;
  const pooled: { token: AccessToken; issuedAt: number }[] = [];
  let takesPerMs = 0;
  let recentTakesPerMs = 0;
  let lastTake = Number.NEGATIVE_INFINITY;
  let refilling = 0;
  let authorizeMs = 50;
  const requestId = `token-prefetch-${randomUUID()}`;
  const log = options.log.child({ requestId });
  // A prefetch serves a checkout to come, whose access line counts it: alone it is debug detail.
  const ctx: CallContext = {
    log,
    requestId,
    record: (call) => {
      log.debug({ upstream: call }, 'upstream call');
    },
  };

  /** Exponentially weighted rates of checkouts (long and short window), O(1) per take. */
  function recordTake(at: number): void {
    const elapsed = at - lastTake;
    takesPerMs = takesPerMs * Math.exp(-elapsed / DEMAND_WINDOW_MS) + 1 / DEMAND_WINDOW_MS;
    recentTakesPerMs = recentTakesPerMs * Math.exp(-elapsed / RISE_WINDOW_MS) + 1 / RISE_WINDOW_MS;
    lastTake = at;
  }

  function target(at: number): number {
    if (at - lastTake > DEMAND_WINDOW_MS) return 0;
    // Twice the checkouts expected during one authorize call, plus one for bursts. The take being
    // served is left out of the short measure: a lone checkout is not yet a burst.
    const rate = Math.max(takesPerMs, recentTakesPerMs - 1 / RISE_WINDOW_MS);
    return Math.min(options.maxSize, Math.ceil(rate * authorizeMs * 2) + 1);
  }

  function refill(): void {
    const missing = target(now()) - pooled.length - refilling;
    for (let i = 0; i < missing; i++) {
      refilling++;
      const started = now();
      options
        .authorize(ctx)
        .then((token) => {
          authorizeMs = (authorizeMs + (now() - started)) / 2;
          pooled.push({ token, issuedAt: started });
        })
        .catch((error: unknown) => {
          ctx.log.warn({ err: error }, 'token prefetch failed');
        })
        .finally(() => {
          refilling--;
        });
    }
  }

  return {
    async take(callCtx: CallContext): Promise<AccessToken> {
      const at = now();
      recordTake(at);
      while (pooled.length > 0) {
        const candidate = pooled.shift();
        if (candidate && isFresh(candidate.token, candidate.issuedAt, at)) {
          options.onTake?.(true);
          refill();
          return candidate.token;
        }
      }
      options.onTake?.(false);
      refill();
      return options.authorize(callCtx);
    },
    get size(): number {
      return pooled.length;
    },
  };
}

/**
 * The bearer token used for status reads. Flinks ties a token to one *session*; reading statuses
 * creates none, so one token serves every read until it nears expiry or Flinks rejects it.
 * Concurrent callers share one authorize call.
 */
export function createStatusToken(authorize: Authorize, now: () => number) {
  let current: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;

  return {
    async get(ctx: CallContext): Promise<AccessToken> {
      if (current && current.expiresAt - EXPIRY_MARGIN_MS > now()) return current;
      pending ??= authorize(ctx)
        .then((token) => (current = token))
        .finally(() => (pending = undefined));
      return pending;
    },
    /** Takes a token authorized elsewhere (a readiness probe) so status reads need not authorize again. */
    offer(token: AccessToken): void {
      if (!current || token.expiresAt > current.expiresAt) current = token;
    },
    /** Forgets a token Flinks refused, so the next read authorizes afresh. */
    discard(token: AccessToken): void {
      if (current === token) current = undefined;
    },
  };
}
