import type { StaticDocumentSpec } from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { zodOnlySchemas } from '../plugins/zod-compilers.js';

export const DOCS_PREFIX = '/docs';

/** Headers that describe the in-process hop, not the answer: the outer reply sets its own. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

/** An answer of Swagger UI's that is an error other than 404, raised for the one error handler. */
class DocsAnswerError extends Error {
  constructor(readonly statusCode: number, path: string) {
    super(`Swagger UI answered ${String(statusCode)} for ${path}.`);
  }
}

/**
 * Swagger UI's own CSP, adapted. It styles elements from its script, so only the docs pages allow
 * inline styles. And no upgrade-insecure-requests: on a plain-http address other than localhost (a
 * compose or cluster address) Chromium would fetch every asset over https, which nothing answers,
 * and the console would stay blank; https deployments have HSTS.
 */
function docsCsp(header: string): string {
  return header
    .replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'")
    .replace(/\s*upgrade-insecure-requests;?/, '');
}

/**
 * Swagger UI on an instance of its own, serving the document the app built (the same object
 * /docs/json sends). Built on the first request for its pages: operators open them now and then,
 * while @fastify/swagger-ui and the static file server it brings would otherwise sit in every
 * instance's heap from start-up (about 1.5 MB, most of what a docs page costs).
 */
async function swaggerUiInstance(app: FastifyInstance): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  const ui = Fastify({ schemaController: zodOnlySchemas });
  // @fastify/swagger's typing of a static document predates OpenAPI 3.1, the version it generates.
  const document = app.swagger() as StaticDocumentSpec['document'];
  await ui.register(swagger, { mode: 'static', specification: { document } });
  await ui.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: true,
    transformStaticCSP: docsCsp,
  });
  await ui.ready();
  return ui;
}

/**
 * Swagger UI at /docs and the OpenAPI document at /docs/json. With `ui: false` (DOCS_UI=false) only
 * the document is served: it describes nothing a client could not learn from the API itself, and
 * client generators and contract tests read it, while the UI is an interactive console.
 */
export function docsRoutes(app: FastifyInstance, options: { ui: boolean }): Promise<void> {
  app.get(`${DOCS_PREFIX}/json`, { schema: { hide: true } }, () => app.swagger());
  if (!options.ui) return Promise.resolve();

  let ui: Promise<FastifyInstance> | undefined;
  const swaggerUi = (): Promise<FastifyInstance> =>
    (ui ??= swaggerUiInstance(app).catch((error: unknown) => {
      ui = undefined;
      throw error;
    }));
  app.addHook('onClose', async () => {
    if (ui) await (await ui).close();
  });

  // The pages pass through this app's hooks (request id, access line, security headers, rate
  // limit); a page's own headers, its stricter CSP among them, replace the defaults.
  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    // Always a GET: for a HEAD, Fastify sends this answer's headers, its length among them, without the body.
    const answer = await (await swaggerUi()).inject({ method: 'GET', url: request.url, headers: request.headers });
    if (answer.statusCode === 404) {
      reply.callNotFound();
      return reply;
    }
    if (answer.statusCode >= 400) throw new DocsAnswerError(answer.statusCode, request.url);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) reply.header(name, value);
    }
    reply.code(answer.statusCode);
    // A redirect or a 304 has no body, and no content type to add to it.
    return answer.rawPayload.length === 0 ? reply.send() : reply.send(answer.rawPayload);
  };
  const page = { schema: { hide: true }, config: { securityHeaders: 'document' } } as const;
  app.get(DOCS_PREFIX, page, forward);
  app.get(`${DOCS_PREFIX}/*`, page, forward);
  return Promise.resolve();
}
