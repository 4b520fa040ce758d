import { STATUS_CODES } from 'node:http';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_CONTENT_TYPE } from '../../errors/problem.js';
import { declareResponseHeaders, type DocumentPaths } from './response-headers.js';

/** Where the generated document is committed, relative to the project root. */
export const OPENAPI_FILE = new URL('../../../openapi/openapi.json', import.meta.url);

type Responses = Record<string, { description?: string; content?: Record<string, unknown> } | undefined>;

/** The parts of the generated OpenAPI 3.1 document that are tidied here. */
interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Responses } | undefined> | undefined>;
  components?: { schemas?: Record<string, unknown> };
}

/**
 * Error responses are served as application/problem+json: say so in the document, and name each
 * response after its status instead of swagger's "Default Response".
 */
function labelResponses(document: OpenApiDocument): void {
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(pathItem ?? {})) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        if (!response) continue;
        if (response.description === 'Default Response') response.description = STATUS_CODES[status] ?? status;
        // Routes that stream (`produces`) list their media type on every status; errors never stream.
        const errorBody = Object.values(response.content ?? {})[0];
        if (Number(status) >= 400 && errorBody) response.content = { [PROBLEM_CONTENT_TYPE]: errorBody };
      }
    }
  }
}

/** The zod registry yields an input and an output variant of every named schema; keep the used ones. */
function pruneUnusedSchemas(document: OpenApiDocument): void {
  const schemas = document.components?.schemas;
  if (!schemas) return;
  const used = new Set<string>();
  const pending = [JSON.stringify(document.paths ?? {})];
  for (let text = pending.pop(); text !== undefined; text = pending.pop()) {
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (name && !used.has(name)) {
        used.add(name);
        pending.push(JSON.stringify(schemas[name] ?? {}));
      }
    }
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) Reflect.deleteProperty(schemas, name);
}

/** The OpenAPI 3.1 document, generated from the routes' zod schemas (served by routes/docs.ts). */
export const swaggerPlugin = fp(
  async (app: FastifyInstance, options: { version: string }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Flinks Pay checkout BFF',
          description:
            'Start a Flinks Pay (Interac e-Transfer request-for-money) checkout from a browser or app, then follow it ' +
            'to a final status. Errors are RFC 9457 problem details.',
          version: options.version,
        },
        tags: [
          { name: 'checkout', description: 'Start and follow payments' },
          { name: 'operations', description: 'Health and readiness' },
          { name: 'webhooks', description: 'Signed events from Flinks Pay, read as hints to re-read a payment status' },
          {
            name: 'ops',
            description:
              'Operations console: find a checkout by order id, see its statuses and merchant webhook attempts, read it ' +
              'from Flinks now, send its webhook again. Needs a bearer token of OPS_TOKENS (Authorize); off without one.',
          },
        ],
        components: {
          securitySchemes: {
            opsToken: { type: 'http', scheme: 'bearer', description: 'One of the OPS_TOKENS secrets (operations API only).' },
          },
        },
      },
      transform: jsonSchemaTransform,
      transformObject: (input) => {
        const document = jsonSchemaTransformObject(input);
        labelResponses(document as OpenApiDocument);
        declareResponseHeaders(document as DocumentPaths);
        pruneUnusedSchemas(document as OpenApiDocument);
        return document;
      },
    });
  },
  { name: 'swagger' },
);

/** The document exactly as committed: what /docs/json serves, pretty-printed. */
export async function renderOpenApi(app: FastifyInstance): Promise<string> {
  await app.ready();
  return `${JSON.stringify(app.swagger(), null, 2)}\n`;
}
