import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { createIdempotencyStore } from '../../checkout/idempotency-store.js';
import type { SharedStore } from '../../store/shared-store.js';
import { createStoreRetries } from '../../store/store-retries.js';
import { hooksOf } from '../route-hooks.js';
import { createCheckoutIdempotency, type IdempotencyKeyed } from './checkout-idempotency.js';

export interface IdempotencyRouteConfig {
  /** The key a request is idempotent under and where it came from; undefined: this request is not keyed. */
  keyOf: (request: FastifyRequest) => IdempotencyKeyed | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Ends the idempotency claims of requests still running (for a forced exit): a retry then hears
     * at once that its checkout was cut off. Resolves to how many.
     */
    abandonInFlightClaims: () => Promise<number>;
  }
  interface FastifyContextConfig {
    /** Switches idempotency on for a route, the way `rateLimit` switches on rate limiting. */
    idempotency?: IdempotencyRouteConfig;
  }
}

export interface IdempotencyPluginOptions {
  store: SharedStore;
  /** How often store writes that failed are tried again (default: every second). */
  storeRetryMs?: number;
  /** How long a completed key is remembered. */
  retentionMs: number;
  /** How long a claim's request may run before a retry answers it as cut off (its lease). */
  claimTtlMs: number;
  now?: () => number;
}

/**
 * Routes with `config.idempotency` get three hooks: after the route's own preHandlers the key is
 * claimed (or the first answer replayed), a failure decides whether its answer is kept, and the
 * answer is stored before it leaves.
 */
export const idempotencyPlugin = fp(
  (app: FastifyInstance, options: IdempotencyPluginOptions) => {
    // Answers to keep, and claims to give back that the store may have taken though it failed the command.
    const retries = createStoreRetries({
      what: 'idempotency writes',
      log: app.log,
      ...(options.storeRetryMs === undefined ? {} : { retryMs: options.storeRetryMs }),
    });
    const idempotency = createCheckoutIdempotency(createIdempotencyStore(options.store, options), retries, () => {
      app.metrics.idempotencyReplays.inc();
    });
    app.decorate('abandonInFlightClaims', () => idempotency.abandonInFlight());
    // Before the store closes (plugins close in reverse order of registration): what waits is written.
    app.addHook('onClose', async () => {
      const left = await idempotency.flush();
      if (left > 0) {
        app.log.error(
          { left },
          'idempotency writes (answers to keep, claims to give back) could not be made before shutdown; a key whose claim Redis holds answers as interrupted once its lease is over',
        );
      }
    });
    app.addHook('onRoute', (route: RouteOptions) => {
      const config = route.config?.idempotency;
      if (!config) return;
      route.preHandler = [
        ...hooksOf(route.preHandler),
        async (request, reply) => {
          const keyed = config.keyOf(request);
          if (keyed && (await idempotency.begin(request, reply, keyed))) return reply;
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
          return idempotency.onSend(request, reply, payload);
        },
      ];
    });
    return Promise.resolve();
  },
  { name: 'idempotency', dependencies: ['metrics'] },
);
