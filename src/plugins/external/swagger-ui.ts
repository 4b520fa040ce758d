import type { StaticDocumentSpec } from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { zodOnlySchemas } from '../zod-compilers.js';

/**
 * Swagger UI's own CSP, adapted. It styles elements from its script, so only the docs pages allow
 * inline styles. And no upgrade-insecure-requests: on a plain-http address other than localhost (a
 * compose or cluster address) Chromium would fetch every asset over https, which nothing answers,
 * and the console would stay blank; https deployments have HSTS.
 */
function docsCsp(header: string): string {
  return header.replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'").replace(/\s*upgrade-insecure-requests;?/, '');
}

/**
 * @fastify/swagger-ui on a Fastify instance of its own, under `routePrefix`, serving `document`
 * (the object the app's /docs/json sends). Loaded only when called: operators open the docs now
 * and then, while @fastify/swagger-ui and the static file server it brings would otherwise sit in
 * every instance's heap from start-up (about 1.5 MB, most of what a docs page costs).
 */
export async function buildSwaggerUi(document: unknown, routePrefix: string): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  const ui = Fastify({ schemaController: zodOnlySchemas });
  // @fastify/swagger's typing of a static document predates OpenAPI 3.1, the version it generates.
  await ui.register(swagger, { mode: 'static', specification: { document: document as StaticDocumentSpec['document'] } });
  await ui.register(swaggerUi, { routePrefix, staticCSP: true, transformStaticCSP: docsCsp });
  await ui.ready();
  return ui;
}
