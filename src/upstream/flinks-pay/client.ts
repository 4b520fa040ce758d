import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { UpstreamRejectedError } from '../../errors/app-errors.js';
import { createFlinksPayApi, type AccessToken, type CallContext, type FlinksPayApiOptions, type SessionInput } from './api.js';
import { createDirectTokens, createStatusToken, createTokenPool } from './tokens.js';

export type { AccessToken, CallContext, SessionInput };

export interface FlinksPayClientOptions extends FlinksPayApiOptions {
  /** Authorize ahead of demand so a checkout skips that round trip (TOKEN_PREFETCH). */
  tokenPrefetch: { enabled: boolean; maxSize: number };
  log: FastifyBaseLogger;
  /** Told whether a checkout's token came from the prefetch pool, e.g. for metrics. */
  onTokenTake?: (isHit: boolean) => void;
}

/**
 * The bearer token of one checkout. A prefetched one that Flinks refuses at `sessions/initiate`
 * (401) is replaced here once, so the payment request call uses the token that made the session.
 */
export interface SessionToken {
  access: AccessToken;
}

export type FlinksPayClient = ReturnType<typeof createFlinksPayClient>;

/** What readiness learns of Flinks: the credentials work, Flinks refuses them, or it cannot be asked. */
export type CredentialsState = 'accepted' | 'refused' | 'unreachable';

function isUnauthorized(error: unknown): boolean {
  return error instanceof UpstreamRejectedError && error.upstreamStatus === 401;
}

function isRefusal(error: unknown): boolean {
  return error instanceof UpstreamRejectedError && (error.upstreamStatus === 401 || error.upstreamStatus === 403);
}

/**
 * Everything the service asks of Flinks Pay, with token handling kept in this one place: a fresh
 * token per checkout (prefetched when configured), one shared token for status reads, and exactly
 * one re-authorize when Flinks refuses a token. A 401 means Flinks created nothing, so that one
 * retry can never duplicate a session or a payment request.
 */
export function createFlinksPayClient(options: FlinksPayClientOptions) {
  const api = createFlinksPayApi(options);
  const now = options.now ?? Date.now;
  let lastAuthorizedAt = Number.NEGATIVE_INFINITY;
  const authorize = async (ctx: CallContext) => {
    const token = await api.authorize(ctx);
    lastAuthorizedAt = now();
    return token;
  };
  let lastProbe: { at: number; state: Promise<CredentialsState> } | undefined;
  const probeId = `readiness-${randomUUID()}`;
  const probeCtx: CallContext = { log: options.log.child({ requestId: probeId }), requestId: probeId };

  /** One authorize for readiness; its token is not wasted: status reads use it. */
  async function probeCredentials(): Promise<CredentialsState> {
    try {
      statusToken.offer(await authorize(probeCtx));
      return 'accepted';
    } catch (error) {
      return isRefusal(error) ? 'refused' : 'unreachable';
    }
  }
  const sessionTokens = options.tokenPrefetch.enabled
    ? createTokenPool({ authorize, log: options.log, maxSize: options.tokenPrefetch.maxSize, now, onTake: options.onTokenTake })
    : createDirectTokens(authorize);
  const statusToken = createStatusToken(authorize, now);

  async function withOneReauthorize<T>(
    ctx: CallContext,
    token: AccessToken,
    renew: (refused: AccessToken) => Promise<AccessToken>,
    step: (token: AccessToken) => Promise<T>,
  ): Promise<T> {
    try {
      return await step(token);
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
      ctx.log.warn('Flinks refused the bearer token; authorizing again once');
      return step(await renew(token));
    }
  }

  /**
   * A pooled token may have aged past what Flinks accepts, so its refusal of `sessions/initiate`
   * earns one fresh token. A token authorized for this very checkout is not asked for again: Flinks
   * refusing it says the account cannot do this, and the checkout makes exactly one authorize, one
   * session call and one payment request call, as documented.
   */
  function initiateStep<T>(ctx: CallContext, token: SessionToken, step: (token: AccessToken) => Promise<T>): Promise<T> {
    if (!options.tokenPrefetch.enabled) return step(token.access);
    return withOneReauthorize(ctx, token.access, async () => (token.access = await authorize(ctx)), step);
  }

  return {
    /** A bearer token for one checkout's session, never handed to anyone else (Flinks: one token, one session). */
    async authorize(ctx: CallContext): Promise<SessionToken> {
      return { access: await sessionTokens.take(ctx) };
    },

    /** Creates the payment session; the amount is written as an exact JSON number. */
    initiateSession: (ctx: CallContext, token: SessionToken, input: SessionInput) =>
      initiateStep(ctx, token, (access) => api.initiateSession(ctx, access, input)),

    /**
     * Links a payment request to the session; only then can the Flinks app complete it. Only the
     * token that initiated the session may (Flinks §2.3), so a refusal is never retried with another.
     */
    createPaymentRequest: (ctx: CallContext, token: SessionToken, sessionId: string) => api.createPaymentRequest(ctx, token.access, sessionId),

    /** A payment request's status; undefined when Flinks does not know the id. */
    async getPaymentRequest(ctx: CallContext, requestId: string) {
      const renew = (refused: AccessToken) => {
        statusToken.discard(refused);
        return statusToken.get(ctx);
      };
      return withOneReauthorize(ctx, await statusToken.get(ctx), renew, (access) => api.getPaymentRequest(ctx, access, requestId));
    },

    /**
     * Whether the credentials work: yes when any authorize (a checkout's included) succeeded within
     * `maxAgeMs`; otherwise one authorize now, and at most one per `maxAgeMs` however often asked.
     */
    verifyCredentials(maxAgeMs: number): Promise<CredentialsState> {
      const at = now();
      if (at - lastAuthorizedAt < maxAgeMs) return Promise.resolve('accepted');
      if (!lastProbe || at - lastProbe.at >= maxAgeMs) lastProbe = { at, state: probeCredentials() };
      return lastProbe.state;
    },

    /**
     * Refuses (503) a checkout at once while the session or the payment request circuit is open:
     * its authorize and session calls would leave a session at Flinks that no payment request follows.
     */
    assertCheckoutPossible: (): void => {
      api.resilience.assertAvailable(['initiate', 'paymentrequest']);
    },

    /** Each Flinks call's circuit, for metrics. */
    circuitStates: () => api.resilience.circuitStates(),

    /** Flinks calls waiting for a slot, for metrics. */
    queuedCalls: () => api.resilience.queuedCalls(),

    /** Prefetched tokens held right now (0 without prefetch). */
    get tokenPoolSize(): number {
      return sessionTokens.size;
    },

    close: api.close,
  };
}
