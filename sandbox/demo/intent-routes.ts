import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';

/*
 * The demo page's stand-in for the merchant's backend. With signing on, a checkout needs an intent
 * signed by the merchant; this page has no backend of its own, so the BFF plays that part here.
 * It signs whatever cart the page posts, so it protects nothing: it exists only beside the demo
 * page, only beside the embedded sandbox (never with FLINKS_BASE_URL), only outside
 * NODE_ENV=production and only with CHECKOUT_SIGNING_SECRET (see demoOf in src/config/config.ts).
 * A real backend computes the amount from its own cart and never exposes an endpoint like this.
 */

export interface DemoIntentOptions {
  /** Whether POST /checkout requires signed intents. */
  signing: boolean;
  /**
   * Signs an intent for the demo cart, refusing amounts a checkout would refuse; absent when the
   * demo may not mint (production, or keys from a JWKS).
   */
  mint?: (amount: string | number) => Promise<string>;
}

export const demoIntentRoutes: FastifyPluginAsyncZod<DemoIntentOptions> = (app, { signing, mint }) => {
  app.get('/demo/config', { schema: { hide: true } }, (_request, reply) => reply.header('cache-control', 'no-store').send({ signing }));
  if (mint) {
    app.post(
      '/demo/intent',
      { config: { rateLimit: {} }, schema: { hide: true, body: z.strictObject({ amount: z.union([z.string(), z.number()]) }) } },
      async (request, reply) => reply.header('cache-control', 'no-store').send({ intent: await mint(request.body.amount) }),
    );
  }
  return Promise.resolve();
};
