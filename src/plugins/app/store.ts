import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createSharedState, type SharedState } from '../../store/shared-state.js';

/**
 * `app.shared`: the key-value store every instance shares (Redis with REDIS_URL, bounded memory
 * without), connected when the app is ready and closed with it.
 */
export const storePlugin = fp(
  (app: FastifyInstance, options: { redis?: { url: string; keyPrefix: string }; memoryMaxEntries: number }) => {
    const shared = createSharedState(options.redis, options.memoryMaxEntries, app.log);
    app.decorate('shared', shared);
    app.addHook('onReady', shared.connect);
    app.addHook('onClose', shared.close);
    return Promise.resolve();
  },
  { name: 'store' },
);

declare module 'fastify' {
  interface FastifyInstance {
    shared: SharedState;
  }
}
