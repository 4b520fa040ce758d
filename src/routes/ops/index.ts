import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { opsAuthPlugin } from '../../plugins/app/ops-auth.js';
import { clientKeyOf } from '../../plugins/external/rate-limit.js';
import { answerNoStore } from '../checkout/no-store.js';
import { opsCheckoutRoute } from './checkout.js';
import { opsListRoute } from './list.js';
import { opsRedeliverRoute } from './redeliver.js';
import { opsRefreshRoute } from './refresh.js';
import type { OpsRouteOptions } from './schemas.js';

export interface OpsRoutesOptions extends OpsRouteOptions {
  /** OPS_TOKENS; empty: every /ops path is a 404. The routes stay in the API document either way. */
  tokens: readonly string[];
  /**
   * Calls per RATE_LIMIT_WINDOW to all ops operations together: per token for calls with a valid
   * one, per client address for the others (refused ones, a wrong token).
   */
  rateLimitMax: number;
}

/** The operations API (docs/operations-console.md): bearer tokens, an audit line per call, never cached. */
export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, { tokens, rateLimitMax, ...routeOptions }) => {
  answerNoStore(app);
  await app.register(opsAuthPlugin, { tokens });
  // One budget for every ops operation, not one per route (a route's config.rateLimit counts per
  // route, groupId included: 600 guesses of a token on each operation): a limiter of its own. A
  // call with a valid token spends its token's budget; any other spends its client address's (an
  // IPv6 client by its /64), so guessing gets nowhere and cannot use up an operator's budget,
  // even from behind the same proxy. After the auth plugin's onRequest hook (a 404 while ops is
  // off, the token matched), before its 401 (preParsing), so a refused call spends a budget too.
  app.addHook(
    'onRequest',
    app.rateLimit({
      max: rateLimitMax,
      keyGenerator: (request) => (request.opsToken === undefined ? `ops:${clientKeyOf(request)}` : `ops-token:${request.opsToken}`),
    }),
  );
  for (const route of [opsListRoute, opsCheckoutRoute, opsRefreshRoute, opsRedeliverRoute]) await app.register(route, routeOptions);
};
