import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import {
  IdempotencyInFlightError,
  IdempotencyMismatchError,
  IdempotencyUnavailableError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../../errors/app-errors.js';
import {
  bodyBoundSlot,
  createIdempotencyStore,
  fingerprintOf,
  type IdempotencyStore,
  type StoredResponse,
} from '../../checkout/idempotency-store.js';
import { StoreUnavailableError, type SharedStore } from '../../store/shared-store.js';
import { hooksOf } from '../route-hooks.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const REPLAYED_HEADER = 'idempotent-replayed';

/** What the key came from: the Idempotency-Key header, or the jti of a signed intent (`intent:<jti>`). */
export type IdempotencySource = 'header' | 'intent';

const INTENT_IN_FLIGHT = 'A checkout with this intent is still being processed; retry in a moment to get its result.';
const INTENT_REUSED = 'This intent (its jti) was already used for a different checkout; each checkout needs a new intent.';

interface Claim {
  /** The store slot the answer goes to: the intent's key, or the header key bound to the body. */
  key: string;
  fingerprint: string;
  /** Set when the request failed once Flinks was called (its 502 or 504): keep its answer. */
  keepFailure: boolean;
}

/**
 * Idempotency-Key semantics for POST /checkout (modelled on the best-known payment APIs):
 * same key + same body → the first response again, no upstream call; same key + other body from
 * the same client → 422; same key while the first runs → 409. Every answer made once Flinks was
 * called is kept, a 502 or 504 too: a retry gets the first response, whichever step failed. Refusals
 * before any call (bad input, load shed, an open circuit) are forgotten, so the key can be retried.
 * A header key is bound to its body (see bodyBoundSlot and docs/reliability.md).
 */
function createCheckoutIdempotency(store: IdempotencyStore, onReplay: () => void = () => undefined) {
  const claims = new WeakMap<FastifyRequest, Claim>();
  /** Claims of this process whose request has not answered yet (released on a forced exit). */
  const inFlight = new Set<Claim>();

  return {
    /** Claims the key, or sends the stored response and returns true when this is a replay. */
    async begin(request: FastifyRequest, reply: FastifyReply, key: string, source: IdempotencySource = 'header'): Promise<boolean> {
      const isIntent = source === 'intent';
      const fingerprint = fingerprintOf(request.body);
      // A header key reaches only the answer made for the same body; the 422 of a reused key is
      // judged per client address, so someone else's use of the key never blocks this one.
      const slot = isIntent ? key : bodyBoundSlot(key, fingerprint);
      let outcome;
      try {
        outcome = isIntent ? await store.claim(slot, fingerprint) : await store.bindAndClaim(key, request.ip, slot, fingerprint);
      } catch (error) {
        if (error instanceof StoreUnavailableError) throw new IdempotencyUnavailableError({ cause: error });
        throw error;
      }
      if (outcome.kind === 'in-flight') throw new IdempotencyInFlightError(isIntent ? INTENT_IN_FLIGHT : undefined);
      if (outcome.kind === 'mismatch') throw new IdempotencyMismatchError(isIntent ? INTENT_REUSED : undefined);
      if (outcome.kind === 'replay') {
        onReplay();
        sendStored(reply, outcome.response);
        return true;
      }
      const claim = { key: slot, fingerprint, keepFailure: false };
      claims.set(request, claim);
      inFlight.add(claim);
      return false;
    },

    /** onError hook: decides whether a failure's answer is kept for retries. */
    onError(request: FastifyRequest, error: unknown): void {
      const claim = claims.get(request);
      if (claim) claim.keepFailure = error instanceof UpstreamRejectedError || error instanceof UpstreamTimeoutError;
    },

    /** onSend hook: stores the answer (before it leaves, so a quick retry already sees it) or releases the key. */
    async onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
      const claim = claims.get(request);
      if (!claim) return;
      claims.delete(request);
      inFlight.delete(claim);
      const isKept = reply.statusCode === 201 || claim.keepFailure;
      try {
        if (isKept && typeof payload === 'string') {
          const location = reply.getHeader('location');
          await store.complete(claim.key, claim.fingerprint, {
            statusCode: reply.statusCode,
            contentType: String(reply.getHeader('content-type')),
            ...(typeof location === 'string' ? { location } : {}),
            body: payload,
          });
        } else {
          await store.release(claim.key);
        }
      } catch (error) {
        request.log.error({ err: error }, 'could not record the outcome of an idempotent checkout');
      }
    },

    /**
     * For a forced exit (the shutdown window ran out): forgets the claims of requests that will now
     * never answer, so a retry with the same key is served at once instead of 409 until the claim
     * expires. Their clients got no launchUrl, so nothing they could pay is lost.
     */
    async releaseInFlight(): Promise<number> {
      const pending = [...inFlight];
      inFlight.clear();
      const results = await Promise.allSettled(pending.map((claim) => store.release(claim.key)));
      return results.filter((result) => result.status === 'fulfilled').length;
    },
  };
}


function sendStored(reply: FastifyReply, stored: StoredResponse): void {
  reply.code(stored.statusCode).header('content-type', stored.contentType).header(REPLAYED_HEADER, 'true');
  if (stored.location) reply.header('location', stored.location);
  // A string with a JSON content type is sent as is, never re-serialised: byte for byte the first answer.
  void reply.send(stored.body);
}

export interface IdempotencyRouteConfig {
  /** The key a request is idempotent under and where it came from; undefined: this request is not keyed. */
  keyOf: (request: FastifyRequest) => { key: string; source: IdempotencySource } | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Releases the idempotency claims of requests still running (for a forced exit); resolves to how many. */
    releaseInFlightClaims: () => Promise<number>;
  }
  interface FastifyContextConfig {
    /** Switches idempotency on for a route, the way `rateLimit` switches on rate limiting. */
    idempotency?: IdempotencyRouteConfig;
  }
}

export interface IdempotencyPluginOptions {
  store: SharedStore;
  /** How long a completed key is remembered. */
  retentionMs: number;
  /** How long a claim may stay in flight before another request may take the key. */
  claimTtlMs: number;
}

/**
 * Routes with `config.idempotency` get three hooks: after the route's own preHandlers the key is
 * claimed (or the first answer replayed), a failure decides whether its answer is kept, and the
 * answer is stored before it leaves.
 */
export const idempotencyPlugin = fp(
  (app: FastifyInstance, options: IdempotencyPluginOptions) => {
    const idempotency = createCheckoutIdempotency(createIdempotencyStore(options.store, options), () => {
      app.metrics.idempotencyReplays.inc();
    });
    app.decorate('releaseInFlightClaims', () => idempotency.releaseInFlight());
    app.addHook('onRoute', (route: RouteOptions) => {
      const config = route.config?.idempotency;
      if (!config) return;
      route.preHandler = [
        ...hooksOf(route.preHandler),
        async (request, reply) => {
          const keyed = config.keyOf(request);
          if (keyed && (await idempotency.begin(request, reply, keyed.key, keyed.source))) return reply;
        },
      ];
      route.onError = [
        ...hooksOf(route.onError),
        (request, _reply, error, done) => {
          idempotency.onError(request, error);
          done();
        },
      ];
      route.onSend = [
        ...hooksOf(route.onSend),
        async (request, reply, payload) => {
          await idempotency.onSend(request, reply, payload);
          return payload;
        },
      ];
    });
    return Promise.resolve();
  },
  { name: 'idempotency', dependencies: ['metrics'] },
);
