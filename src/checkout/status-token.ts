import type { AccessToken, CallContext, FlinksPayClient } from '../upstream/flinks-pay/client.js';

/** Tokens are dropped this long before Flinks says they expire, to absorb clock skew and latency. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * The bearer token used for status reads. Flinks ties a token to one *session*; reading statuses
 * creates none, so one token serves every read until it nears expiry or Flinks rejects it.
 * Concurrent callers share one authorize call.
 */
export function createStatusTokenSource(flinks: Pick<FlinksPayClient, 'authorize'>, now: () => number) {
  let current: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;

  return {
    async get(ctx: CallContext): Promise<AccessToken> {
      if (current && current.expiresAt - EXPIRY_MARGIN_MS > now()) return current;
      pending ??= flinks
        .authorize(ctx)
        .then((token) => (current = token))
        .finally(() => (pending = undefined));
      return pending;
    },
    /** Forget a token Flinks refused, so the next read authorizes afresh. */
    discard(token: AccessToken): void {
      if (current === token) current = undefined;
    },
  };
}

export type StatusTokenSource = ReturnType<typeof createStatusTokenSource>;
