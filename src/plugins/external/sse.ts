import { fastifySSE } from '@fastify/sse';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Server-Sent Events for routes declared with `sse`; comment lines keep idle streams open through proxies. */
export const ssePlugin = fp(
  async (app: FastifyInstance, options: { heartbeatMs: number }) => {
    // The package's typed named export is the bare plugin; wrapped, it serves the whole app.
    await app.register(fp(fastifySSE), { heartbeatInterval: options.heartbeatMs });
  },
  { name: 'sse' },
);
