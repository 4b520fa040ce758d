import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { OpsConsole } from '../../outcomes/ops-console.js';
import { opsAuthPlugin } from '../../plugins/app/ops-auth.js';
import { answerNoStore } from '../checkout/no-store.js';
import { opsCheckoutRoute } from './checkout.js';
import { opsListRoute } from './list.js';
import { opsRedeliverRoute } from './redeliver.js';
import { opsRefreshRoute } from './refresh.js';

export interface OpsRoutesOptions {
  /** OPS_TOKENS; empty: every /ops path is a 404. The routes stay in the API document either way. */
  tokens: readonly string[];
  console: OpsConsole;
  /** Calls one client address may make per RATE_LIMIT_WINDOW, refused ones (a wrong token) included. */
  rateLimitMax: number;
}

/** The operations API (docs/operations-console.md): bearer tokens, an audit line per call, never cached. */
export const opsRoutes: FastifyPluginAsyncZod<OpsRoutesOptions> = async (app, options) => {
  answerNoStore(app);
  await app.register(opsAuthPlugin, { tokens: options.tokens });
  await app.register(opsListRoute, { console: options.console, rateLimitMax: options.rateLimitMax });
  await app.register(opsCheckoutRoute, { console: options.console, rateLimitMax: options.rateLimitMax });
  await app.register(opsRefreshRoute, { console: options.console, rateLimitMax: options.rateLimitMax });
  await app.register(opsRedeliverRoute, { console: options.console, rateLimitMax: options.rateLimitMax });
};
