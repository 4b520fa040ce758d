import { IncomingMessage, ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { FlinksConfig } from '../../config/config.js';
import { hooksOf } from '../route-hooks.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `'document'` for a route that serves a page, or a script or style of one, that a browser
     * renders (the demo page and its assets, Swagger UI): it gets helmet's full set of security
     * headers instead of the API set every other answer carries, the OpenAPI JSON among them.
     */
    securityHeaders?: 'document';
  }
}

export interface HelmetPluginOptions {
  /** Origins whose pages a page here may frame: the Flinks Pay app the demo page's overlay shows. */
  frameOrigins: readonly string[];
}

/**
 * Where the Flinks Pay app a page here may frame lives: FLINKS_APP_URL's origin, and in sandbox mode
 * the embedded sandbox's app, at http://localhost:PORT (HOST a wildcard) or the listen address: not
 * the page's origin when the page is opened under another name of this machine (127.0.0.1, the
 * address the start-up log shows).
 */
export function framedAppOrigins(flinks: FlinksConfig): string[] {
  const configured = flinks.appUrl === undefined ? [] : [new URL(flinks.appUrl).origin];
  return flinks.mode === 'sandbox' ? [...configured, 'http://localhost:*', 'http://127.0.0.1:*'] : configured;
}

/** Helmet's set, its policy allowing a page only what the demo page and its client use. */
function helmetOptions({ frameOrigins }: HelmetPluginOptions): HelmetOptions {
  return {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        frameSrc: ["'self'", ...frameOrigins],
        imgSrc: ["'self'", 'data:'],
        // Helmet's defaults allow any https style or font, and inline styles: nothing here needs them
        // (the browser client styles its overlay through the CSSOM, which style-src 'self' allows).
        styleSrc: ["'self'"],
        fontSrc: ["'self'"],
        // Not helmet's default upgrade-insecure-requests: the demo page reached over plain http on
        // an address other than localhost would load its script and style over https and stay blank.
        // https deployments have HSTS.
        upgradeInsecureRequests: null,
      },
    },
    // The hosted payment app is opened in a popup and posts messages back to its opener.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  };
}

/**
 * What an API answer (JSON, problem+json, an event stream) carries: the set the OWASP REST Security
 * Cheat Sheet names for API responses, Content-Type and Cache-Control set by each route, plus
 * Cross-Origin-Resource-Policy so no other site can load an answer as a script or image. The rest
 * of helmet's headers only mean something to a page a browser renders, and each header is written
 * and parsed on every answer (`npm run bench`: node's cost per header, and the load generator's).
 */
export const API_HEADERS: OutgoingHttpHeaders = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
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

function setting(headers: OutgoingHttpHeaders): onRequestHookHandler {
  return (_request, reply, done) => {
    reply.headers(headers);
    done();
  };
}

/**
 * Security headers on every answer: the API set, or helmet's full set on routes marked
 * `config.securityHeaders: 'document'`. Swagger UI sets its own, stricter CSP for its pages.
 */
export const helmetPlugin = fp(
  (app: FastifyInstance, options: HelmetPluginOptions) => {
    // Set before any route runs, so a route's own value for one of them (Swagger UI's CSP) wins.
    // Through the reply, not reply.raw.setHeader as helmet's middleware does: when nothing touched
    // the raw response's header map, node writes the reply's headers in one pass without building it.
    app.addHook('onRequest', setting(API_HEADERS));
    // A document route's own hook runs after the one above and overwrites each of its headers:
    // helmet's set names every header of the API set.
    const documentHook = setting(helmetHeaders(helmetOptions(options)));
    app.addHook('onRoute', (route) => {
      if (route.config?.securityHeaders !== 'document') return;
      route.onRequest = [documentHook, ...hooksOf(route.onRequest)];
    });
    return Promise.resolve();
  },
  { name: 'helmet' },
);
