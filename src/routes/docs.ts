import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildSwaggerUi } from '../plugins/external/swagger-ui.js';

export const DOCS_PREFIX = '/docs';

/** Headers that describe the in-process hop, not the answer: the outer reply sets its own. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

/** An answer of Swagger UI's that is an error other than 404, raised for the one error handler. */
class DocsAnswerError extends Error {
  constructor(
    readonly statusCode: number,
    path: string,
  ) {
    super(`Swagger UI answered ${String(statusCode)} for ${path}.`);
  }
}

/**
 * Swagger UI at /docs (built on the first request for its pages) and the OpenAPI document at
 * /docs/json. With `ui: false` (DOCS_UI=false) only the document is served: it describes nothing a
 * client could not learn from the API itself, and client generators and contract tests read it,
 * while the UI is an interactive console.
 */
export const docsRoutes: FastifyPluginAsyncZod<{ ui: boolean }> = (app, options) => {
  app.get(`${DOCS_PREFIX}/json`, { schema: { hide: true } }, () => app.swagger());
  if (!options.ui) return Promise.resolve();

  let ui: Promise<FastifyInstance> | undefined;
  const swaggerUi = (): Promise<FastifyInstance> =>
    (ui ??= buildSwaggerUi(app.swagger(), DOCS_PREFIX).catch((error: unknown) => {
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
};
