import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { AccessToken, CallContext, FlinksPayClient } from '../upstream/flinks-pay/client.js';

export interface TokenPoolOptions {
  flinks: Pick<FlinksPayClient, 'authorize'>;
  log: FastifyBaseLogger;
  /** Upper bound on tokens held (and on authorize calls in flight to refill). */
  maxSize: number;
  now?: () => number;
  /** Told whether each take was served from the pool, e.g. for metrics. */
  onTake?: (isHit: boolean) => void;
}

/** Demand is measured over this window; with no checkout in it the pool empties and stays empty. */
const DEMAND_WINDOW_MS = 10_000;

/**
 * A pooled token is used only while most of its life is left, so it can never expire between
 * being taken and the session call (Flinks says nothing of clock skew).
 */
function isFresh(token: AccessToken, issuedAt: number, now: number): boolean {
  const lifetime = token.expiresAt - issuedAt;
  return now < token.expiresAt - Math.max(30_000, lifetime / 4);
}

/**
 * Fresh, unused bearer tokens prefetched so a checkout skips the authorize round trip. Each token
 * is handed out once (Flinks: one token, one session). The pool size follows recent demand: enough
 * to cover checkouts arriving while a refill runs, and zero when idle, so an idle service calls
 * nobody.
 */
export function createTokenPool(options: TokenPoolOptions) {
  const now = options.now ?? Date.now;
  const pooled: { token: AccessToken; issuedAt: number }[] = [];
  let takesPerMs = 0;
  let lastTake = Number.NEGATIVE_INFINITY;
  let refilling = 0;
  let authorizeMs = 50;
  const ctx: CallContext = (() => {
    const requestId = `token-prefetch-${randomUUID()}`;
    return { log: options.log.child({ requestId }), requestId };
  })();

  /** Exponentially weighted rate of checkouts, O(1) per take. */
  function recordTake(at: number): void {
    const decay = Math.exp(-(at - lastTake) / DEMAND_WINDOW_MS);
    takesPerMs = takesPerMs * decay + 1 / DEMAND_WINDOW_MS;
    lastTake = at;
  }

  function target(at: number): number {
    if (at - lastTake > DEMAND_WINDOW_MS) return 0;
    // Twice the checkouts expected during one authorize call, plus one for bursts.
    return Math.min(options.maxSize, Math.ceil(takesPerMs * authorizeMs * 2) + 1);
  }

  function refill(): void {
    const at = now();
    const missing = target(at) - pooled.length - refilling;
    for (let i = 0; i < missing; i++) {
      refilling++;
      const started = now();
      options.flinks
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
    /** A token no one else has used: from the pool when one is fresh, else authorized now. */
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
      return options.flinks.authorize(callCtx);
    },

    /** Tokens held right now; hits and misses are reported through `onTake`. */
    get size(): number {
      return pooled.length;
    },
  };
}

export type TokenPool = ReturnType<typeof createTokenPool>;

/** Without prefetch, every checkout authorizes for itself. */
export function createDirectTokens(flinks: Pick<FlinksPayClient, 'authorize'>): Pick<TokenPool, 'take'> {
  return { take: (ctx) => flinks.authorize(ctx) };
}
