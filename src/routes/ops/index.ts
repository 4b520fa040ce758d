import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { opsAuthPlugin } from '../../plugins/app/ops-auth.js';
import { answerNoStore } from '../checkout/no-store.js';
import { opsCheckoutRoute } from './checkout.js';
import { opsListRoute } from './list.js';
import { opsRedeliverRoute } from './redeliver.js';
import { opsRefreshRoute } from './refresh.js';
import type { OpsRouteOptions } from './schemas.js';

export interface OpsRoutesOptions extends OpsRouteOptions {
  /** OPS_TOKENS; empty: every /ops path is a 404. The routes stay in the API document either way. */
  tokens: readonly string[];
}

/** The operations API (docs/operations-console.md): bearer tokens, an audit line per call, never cached. */
export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, { tokens, ...routeOptions }) => {
  answerNoStore(app);
  await app.register(opsAuthPlugin, { tokens });
  for (const route of [opsListRoute, opsCheckoutRoute, opsRefreshRoute, opsRedeliverRoute]) await app.register(route, routeOptions);
};
