import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { NO_STORE, sendProblem } from './error-handler.js';

/**
 * A Host value as RFC 3986 writes an authority's host and port: an IP literal in brackets, or a
 * name of unreserved, percent-encoded and sub-delimiter characters (empty too: RFC 9112 §3.2 sends
 * an empty Host for a target without an authority), then an optional port.
 */
const VALID_HOST = /^(?:\[[\w.:~!$&'()*+,;=-]+\]|[\w.~%!$&'()*+,;=-]*)(?::\d*)?$/;

/** What is wrong with the request's Host header, if anything (RFC 9112 §3.2: each of these is a 400). */
function hostProblem(request: IncomingMessage): { detail: string; message: string } | undefined {
  const host = request.headers.host;
  if (host === undefined) {
    return request.httpVersion === '1.1' ? { detail: 'An HTTP/1.1 request needs a Host header.', message: 'is required in HTTP/1.1' } : undefined;
  }
  if (!VALID_HOST.test(host)) return { detail: 'The Host header is not a host name or address with an optional port.', message: 'is not a valid host' };
  // Node keeps the first of several Host lines: only the raw lines show the others.
  let lines = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i];
    if (name?.length === 4 && name.toLowerCase() === 'host') lines++;
  }
  return lines > 1 ? { detail: 'A request may carry only one Host header.', message: 'is sent more than once' } : undefined;
}

/**
 * HTTP/1.1 requires exactly one valid Host header. Node refuses a request without one by itself,
 * with an empty 400 that names no request id (its requireHostHeader, switched off in app.ts), and
 * lets several or an invalid one through; here each is a problem+json 400 like every other answer.
 */
export const hostHeaderPlugin = fp(
  (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      const problem = hostProblem(request.raw);
      if (problem === undefined) {
        done();
        return;
      }
      reply.header('cache-control', NO_STORE).header('connection', 'close');
      // Answered here, so done() is not called: the request goes no further.
      sendProblem(request, reply, {
        code: 'malformed-request',
        status: 400,
        detail: problem.detail,
        errors: [{ path: 'host', message: problem.message }],
      });
    });
    return Promise.resolve();
  },
  { name: 'host-header', dependencies: ['request-id'] },
);
