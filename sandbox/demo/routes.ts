import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { demoIntentRoutes, type DemoIntentOptions } from './intent-routes.js';
import { demoMerchantRoutes } from './merchant-routes.js';

export interface DemoRoutesOptions extends DemoIntentOptions {
  /** The secret the BFF signs merchant webhooks with, when they go to the demo's merchant backend. */
  merchantWebhookSecret?: string;
}

/*
 * The demo merchant page: static files read once at registration and served from memory. Three
 * explicit routes instead of a wildcard static handler, so unknown paths keep reaching the
 * rate-limited problem+json 404 handler. Hidden from OpenAPI: the API contract is the same with
 * or without the demo.
 */

/** Next to this file in src/ (tsx) and in dist/ (`npm run build` copies non-TS files there). */
const PUBLIC_DIR = new URL('./public/', import.meta.url);

const DEMO_ASSET_PREFIX = '/demo';

const FILES = [
  { url: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { url: `${DEMO_ASSET_PREFIX}/demo.js`, file: 'demo.js', type: 'text/javascript; charset=utf-8' },
  { url: `${DEMO_ASSET_PREFIX}/demo.css`, file: 'demo.css', type: 'text/css; charset=utf-8' },
] as const;

export const demoRoutes: FastifyPluginAsync<DemoRoutesOptions> = async (app, { merchantWebhookSecret, ...options }) => {
  for (const { url, file, type } of FILES) {
    const body = await readFile(new URL(file, PUBLIC_DIR));
    app.get(url, { schema: { hide: true }, config: { securityHeaders: 'document' } }, (_request, reply) =>
      // no-cache: a browser never runs a stale script against an upgraded service.
      reply.type(type).header('cache-control', 'no-cache').send(body),
    );
  }
  await app.register(demoIntentRoutes, options);
  if (merchantWebhookSecret !== undefined) await app.register(demoMerchantRoutes, { secret: merchantWebhookSecret });
};
