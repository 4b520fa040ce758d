import { isIP } from 'node:net';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { SANDBOX_CREDENTIALS } from './credentials.js';
import { sandboxPlugin, type SandboxPluginOptions } from './sandbox-plugin.js';
import { selfUrl } from './self-url.js';

/*
 * The simulator as it runs inside the BFF (no FLINKS_BASE_URL, outside production): mounted under
 * /sandbox on the BFF's own port. Only the BFF's composition root uses this file.
 */

export const SANDBOX_PREFIX = '/sandbox';

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
  /** Where it is mounted: every path under it is the simulator's. */
  prefix: string;
  /** The simulator's onboarding credentials (public: the sandbox guards nothing of value). */
  credentials: { username: string; password: string };
  /** The API base as the BFF calls it over its own server; valid once that server listens. */
  baseUrl: () => string;
  /**
   * The app base as the shopper's browser reaches it: this server's own /sandbox, at the address
   * it listens on (as configured until it listens). Never taken from a request's Host header,
   * which the client chooses.
   */
  appUrlFor: () => string;
  /** Mounts the simulator under /sandbox. */
  register: (options: Omit<SandboxPluginOptions, 'credentials'>) => Promise<void>;
}

/** A listen address as a browser on this machine writes it: a wildcard one is localhost. */
function browserHost(address: string): string {
  if (address === '' || address === '0.0.0.0' || address === '::') return 'localhost';
  return isIP(address) === 6 ? `[${address}]` : address;
}

export function embeddedSandbox(app: FastifyInstance, port: number, host = 'localhost'): EmbeddedSandbox {
  return {
    prefix: SANDBOX_PREFIX,
    credentials: SANDBOX_CREDENTIALS,
    baseUrl: () => `${selfUrl(app.server)}${SANDBOX_PREFIX}`,
    appUrlFor: () => {
      const listening = app.server.address();
      const bound = listening !== null && typeof listening === 'object' ? listening : { address: host, port };
      return `http://${browserHost(bound.address)}:${bound.port}${SANDBOX_PREFIX}`;
    },
    register: async (options) => {
      await app.register(embeddedSandboxPlugin, { ...options, prefix: SANDBOX_PREFIX, credentials: SANDBOX_CREDENTIALS });
    },
  };
}
