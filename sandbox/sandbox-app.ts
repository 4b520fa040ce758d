import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { sandboxPlugin, type SandboxPluginOptions } from './sandbox-plugin.js';

export interface SandboxOptions extends SandboxPluginOptions {
  /** Fastify logger option; off by default so test output stays quiet. */
  logger?: FastifyServerOptions['logger'];
}

/** A standalone Flinks Pay simulator with the API at the root (`/api/v1/...`, `/app/`). Never listens. */
export function buildSandbox(opts: SandboxOptions = {}): FastifyInstance {
  const { logger = false, ...pluginOptions } = opts;
  // Short keep-alive so a client's idle connections never hold a closing sandbox open for long.
  const app = Fastify({ logger, keepAliveTimeout: 1000 });
  void app.register(sandboxPlugin, pluginOptions);
  return app;
}
