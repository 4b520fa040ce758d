import type { OutgoingHttpHeader } from 'node:http';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { zodOnlySchemas } from '../zod-compilers.js';

const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      frameSrc: ["'self'", 'https:'],
      imgSrc: ["'self'", 'data:'],
    },
  },
  // The hosted payment app is opened in a popup and posts messages back to its opener.
  crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
};

/**
 * The headers helmet writes, computed once. They depend on the options only, yet @fastify/helmet
 * builds every helmet middleware again for each request (measured with `npm run bench`: about 5 %
 * of a checkout's CPU and a tenth of its allocations). So the plugin itself runs once, on a
 * throwaway instance, and its output is replayed.
 */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<Record<string, OutgoingHttpHeader>> {
  const probe = Fastify({ schemaController: zodOnlySchemas });
  await probe.register(helmet, options);
  let headers: Record<string, OutgoingHttpHeader> = {};
  probe.get('/', (_request, reply) => {
    // Only helmet has written to the raw response at this point.
    headers = Object.fromEntries(Object.entries(reply.raw.getHeaders()).filter(([, value]) => value !== undefined)) as Record<string, OutgoingHttpHeader>;
    return '';
  });
  await probe.inject('/');
  await probe.close();
  return headers;
}

/** The usual security headers on every answer. Swagger UI sets its own, stricter CSP for its assets. */
export const helmetPlugin = fp(
  async (app: FastifyInstance) => {
    const securityHeaders = await helmetHeaders(HELMET_OPTIONS);
    // Set before any route runs, so a route's own value for one of them (Swagger UI's CSP) wins.
    // Through the reply, not reply.raw.setHeader as @fastify/helmet does: when nothing touched the
    // raw response's header map, node writes the reply's headers in one pass without building it.
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(securityHeaders);
      done();
    });
  },
  { name: 'helmet' },
);
