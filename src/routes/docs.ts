import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';

/**
 * Swagger UI at /docs and the OpenAPI document at /docs/json. With `ui: false` (DOCS_UI=false) only
 * the document is served: it describes nothing a client could not learn from the API itself, and
 * client generators and contract tests read it, while the UI is an interactive console.
 */
export async function docsRoutes(app: FastifyInstance, options: { ui: boolean }): Promise<void> {
  if (!options.ui) {
    app.get(`${DOCS_PREFIX}/json`, { schema: { hide: true } }, () => app.swagger());
    return;
  }
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: true,
    // Swagger UI styles elements from its script; only the docs pages allow inline styles.
    transformStaticCSP: (header) => header.replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'"),
  });
}
