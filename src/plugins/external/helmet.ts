import { IncomingMessage, ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

const HELMET_OPTIONS: HelmetOptions = {
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
 * The headers helmet writes, computed once: with these options (no per-request directive) they
 * depend on nothing in the request, while running helmet's middleware for each request rebuilds
 * them every time (about 5 % of a checkout's CPU and a tenth of its allocations, measured with
 * `npm run bench`). So the middleware runs once, on a response that is never sent.
 */
function helmetHeaders(options: HelmetOptions): OutgoingHttpHeaders {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  let finished: { error: unknown } | undefined;
  helmet(options)(request, response, (error?: unknown) => {
    finished = { error };
  });
  // helmet's middleware is synchronous; it would not be only if a directive were a function of the request.
  if (finished === undefined) throw new Error('helmet did not finish at once: its headers cannot be computed in advance');
  if (finished.error !== undefined) throw new Error('helmet refused its options', { cause: finished.error });
  return response.getHeaders();
}

/** The usual security headers on every answer. Swagger UI sets its own, stricter CSP for its assets. */
export const helmetPlugin = fp(
  (app: FastifyInstance) => {
    const securityHeaders = helmetHeaders(HELMET_OPTIONS);
    // Set before any route runs, so a route's own value for one of them (Swagger UI's CSP) wins.
    // Through the reply, not reply.raw.setHeader as helmet's middleware does: when nothing touched
    // the raw response's header map, node writes the reply's headers in one pass without building it.
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(securityHeaders);
      done();
    });
    return Promise.resolve();
  },
  { name: 'helmet' },
);
