import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { sandboxPlugin, type SandboxPluginOptions } from './sandbox-plugin.js';

export interface SandboxOptions extends SandboxPluginOptions {
  /** Fastify logger option; off by default so test output stays quiet. */
  logger?: FastifyServerOptions['logger'];
}

function noSchemas(): never {
  throw new Error('the simulator declares no route schemas: it parses what Flinks receives itself');
}

/**
 * Fastify loads and builds Ajv and fast-json-stringify for an instance unless it is given compiler
 * factories: a third of a second at start for code the simulator never runs (its routes have no
 * schemas; they parse requests with zod as Flinks would). These factories are never called.
 */
const withoutSchemaCompilers: FastifyServerOptions['schemaController'] = {
  compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas },
};

/** A standalone Flinks Pay simulator with the API at the root (`/api/v1/...`, `/app/`). Never listens. */
export function buildSandbox(opts: SandboxOptions = {}): FastifyInstance {
  const { logger = false, ...pluginOptions } = opts;
  // Short keep-alive so a client's idle connections never hold a closing sandbox open for long.
  const app = Fastify({ logger, keepAliveTimeout: 1000, schemaController: withoutSchemaCompilers });
  void app.register(sandboxPlugin, pluginOptions);
  return app;
}
