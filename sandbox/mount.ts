import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { SANDBOX_CREDENTIALS } from './credentials.js';
import { sandboxPlugin, type SandboxPluginOptions } from './sandbox-plugin.js';
import { selfUrl } from './self-url.js';

/*
 * The simulator as it runs inside the BFF (no FLINKS_BASE_URL, outside production): mounted under
 * /sandbox on the BFF's own port. Only the BFF's composition root uses this file.
 */

export const SANDBOX_PREFIX = '/sandbox';

const PLAIN_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Its routes stay out of the BFF's OpenAPI document, which must not change with the mode. */
const embeddedSandboxPlugin: FastifyPluginAsync<SandboxPluginOptions> = async (app, options) => {
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  // `options` also holds this plugin's own `prefix`, which must not be applied twice.
  const { prefix, ...sandboxOptions } = options as SandboxPluginOptions & { prefix?: string };
  await app.register(sandboxPlugin, sandboxOptions);
};

export interface EmbeddedSandbox {
  /** The simulator's onboarding credentials (public: the sandbox guards nothing of value). */
  credentials: { username: string; password: string };
  /** The API base as the BFF calls it over its own server; valid once that server listens. */
  baseUrl: () => string;
  /** The app base as the shopper's browser reaches it: this server's own /sandbox. */
  appUrlFor: (request: FastifyRequest) => string;
  /** Mounts the simulator under /sandbox. */
  register: (options: Omit<SandboxPluginOptions, 'credentials'>) => Promise<void>;
}

export function embeddedSandbox(app: FastifyInstance, port: number): EmbeddedSandbox {
  return {
    credentials: SANDBOX_CREDENTIALS,
    baseUrl: () => `${selfUrl(app.server)}${SANDBOX_PREFIX}`,
    appUrlFor: (request) => {
      const host = PLAIN_HOST.test(request.host) ? request.host : `localhost:${port}`;
      return `${request.protocol}://${host}${SANDBOX_PREFIX}`;
    },
    register: async (options) => {
      await app.register(embeddedSandboxPlugin, { ...options, prefix: SANDBOX_PREFIX, credentials: SANDBOX_CREDENTIALS });
    },
  };
}
