import type { FastifyInstance } from 'fastify';

/** Where the generated document is committed, relative to the project root. */
export const OPENAPI_FILE = new URL('../../openapi/openapi.json', import.meta.url);

/** The document exactly as committed: what /docs/json serves, pretty-printed. */
export async function renderOpenApi(app: FastifyInstance): Promise<string> {
  await app.ready();
  return `${JSON.stringify(app.swagger(), null, 2)}\n`;
}
