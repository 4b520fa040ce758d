import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/*
 * ASP.NET Core, the server behind Flinks' ProblemDetails, matches routes case-insensitively, so
 * `/API/V1/Authorize` reaches authorize there. Fastify's router is case-sensitive, and a plugin
 * cannot change that for the server it is mounted in (the BFF's). So a request that found no route
 * is matched again, ignoring ASCII case, against this plugin's own routes; on a match its static
 * segments are rewritten to their registered spelling and it is routed once more, through the
 * whole pipeline (hooks, body limit, recording) of the real route. Parameter values keep their case.
 * The mount prefix itself (`/sandbox` in the BFF) stays the host's, case-sensitive.
 */

const originalUrls = new WeakMap<IncomingMessage, string>();

/** The URL as the client sent it, before any case rewriting. */
export const originalUrlOf = (request: FastifyRequest): string => originalUrls.get(request.raw) ?? request.url;

interface Template {
  method: string;
  segments: string[];
}

const fold = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The URL with each static segment spelled as registered, or undefined when no route matches. */
function canonicalUrl(templates: Template[], method: string, url: string): string | undefined {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const segments = path.split('/');
  for (const template of templates) {
    if (template.method !== method || template.segments.length !== segments.length) continue;
    const rewritten = template.segments.map((part, i) => {
      const sent = segments[i] ?? '';
      if (part.startsWith(':')) return sent === '' ? undefined : sent;
      return fold(part) === fold(sent) ? part : undefined;
    });
    if (rewritten.every((part) => part !== undefined)) {
      const canonical = rewritten.join('/');
      return canonical === path ? undefined : canonical + (queryAt < 0 ? '' : url.slice(queryAt));
    }
  }
  return undefined;
}

/** Call before registering the routes it should cover. */
export function matchPathsCaseInsensitively(app: FastifyInstance): void {
  const templates: Template[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) templates.push({ method, segments: route.url.split('/') });
  });
  app.addHook('onRequest', (request, reply, done) => {
    const canonical = request.is404 ? canonicalUrl(templates, request.method, request.url) : undefined;
    if (canonical === undefined) {
      done();
      return;
    }
    originalUrls.set(request.raw, request.url);
    // This request object ends here; the rewritten one takes over the same socket and body stream.
    void reply.hijack();
    request.raw.url = canonical;
    app.routing(request.raw, reply.raw);
  });
}
