import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import {
  IdempotencyInFlightError,
  IdempotencyMismatchError,
  IdempotencyUnavailableError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../../errors/app-errors.js';
import { createIdempotencyStore, fingerprintOf, type IdempotencyStore, type StoredResponse } from '../../checkout/idempotency-store.js';
import { StoreUnavailableError, type SharedStore } from '../../store/shared-store.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const REPLAYED_HEADER = 'idempotent-replayed';

/** What the key came from: the Idempotency-Key header, or the jti of a signed intent (`intent:<jti>`). */
export type IdempotencySource = 'header' | 'intent';

const INTENT_IN_FLIGHT = 'A checkout with this intent is still being processed; retry in a moment to get its result.';
const INTENT_REUSED = 'This intent (its jti) was already used for a different checkout; each checkout needs a new intent.';

interface Claim {
  key: string;
  fingerprint: string;
  /** Set when the request failed after Flinks may have created something: keep its answer. */
  keepFailure: boolean;
}

/**
 * Idempotency-Key semantics for POST /checkout (modelled on the best-known payment APIs):
 * same key + same body → the first response again, no upstream call; same key + other body → 422;
 * same key while the first runs → 409. Answers are kept when Flinks may have created something;
 * failures before that (bad input, authorize failed) are forgotten so the key can be retried.
 */
function createCheckoutIdempotency(store: IdempotencyStore, onReplay: () => void = () => undefined) {
  const claims = new WeakMap<FastifyRequest, Claim>();

  return {
    /** Claims the key, or sends the stored response and returns true when this is a replay. */
    async begin(request: FastifyRequest, reply: FastifyReply, key: string, source: IdempotencySource = 'header'): Promise<boolean> {
      const fingerprint = fingerprintOf(request.body);
      let outcome;
      try {
        outcome = await store.claim(key, fingerprint);
      } catch (error) {
        if (error instanceof StoreUnavailableError) throw new IdempotencyUnavailableError({ cause: error });
        throw error;
      }
      const isIntent = source === 'intent';
      if (outcome.kind === 'in-flight') throw new IdempotencyInFlightError(isIntent ? INTENT_IN_FLIGHT : undefined);
      if (outcome.kind === 'mismatch') throw new IdempotencyMismatchError(isIntent ? INTENT_REUSED : undefined);
      if (outcome.kind === 'replay') {
        onReplay();
        sendStored(reply, outcome.response);
        return true;
      }
      claims.set(request, { key, fingerprint, keepFailure: false });
      return false;
    },

    /** onError hook: decides whether a failure's answer is kept for retries. */
    onError(request: FastifyRequest, error: unknown): void {
      const claim = claims.get(request);
      const upstreamStep = error instanceof UpstreamRejectedError || error instanceof UpstreamTimeoutError ? error.step : undefined;
      if (claim) claim.keepFailure = upstreamStep === 'initiate' || upstreamStep === 'paymentrequest';
    },

    /** onSend hook: stores the answer (before it leaves, so a quick retry already sees it) or releases the key. */
    async onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
      const claim = claims.get(request);
      if (!claim) return;
      claims.delete(request);
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

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
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
