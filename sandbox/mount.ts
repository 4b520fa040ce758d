import type { FastifyPluginAsync } from 'fastify';
import { sandboxPlugin, type SandboxPluginOptions } from './sandbox-plugin.js';

export const SANDBOX_PREFIX = '/sandbox';

/**
 * The simulator as it runs inside the BFF (no FLINKS_BASE_URL, outside production). Its routes
 * stay out of the BFF's OpenAPI document, which must not change with the mode.
 */
export const embeddedSandboxPlugin: FastifyPluginAsync<SandboxPluginOptions> = async (app, options) => {
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  // `options` also holds this plugin's own `prefix`, which must not be applied twice.
  const { prefix, ...sandboxOptions } = options as SandboxPluginOptions & { prefix?: string };
  await app.register(sandboxPlugin, sandboxOptions);
};
