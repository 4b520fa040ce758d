import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createSharedState } from '../../store/shared-state.js';
import type { SharedState } from '../../store/shared-store.js';

/**
 * `app.shared`: the key-value store every instance shares (Redis with REDIS_URL, bounded memory
 * without), connected when the app is ready and closed with it.
 */
export const storePlugin = fp(
  async (app: FastifyInstance, options: { redis?: { url: string; keyPrefix: string }; memoryMaxCheckouts: number }) => {
    const shared = await createSharedState(options.redis, options.memoryMaxCheckouts, app.log);
    app.decorate('shared', shared);
    app.addHook('onReady', shared.connect);
    app.addHook('onClose', shared.close);
  },
  { name: 'store' },
);

declare module 'fastify' {
  interface FastifyInstance {
    shared: SharedState;
  }
}
