import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_PATTERN } from '../../upstream/flinks-pay/schemas.js';
import { pathOf, sendProblem } from './error-handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Which OPS_TOKENS entry (0-based) authenticated this operations call; the token itself is never kept. */
    opsToken?: number;
  }
}

export interface OpsAuthOptions {
  /** OPS_TOKENS; empty: the operations API is off and its paths answer 404 like unknown ones. */
  tokens: readonly string[];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The index of the configured token `presented` equals, or undefined. Digests have one length, so
 * timingSafeEqual applies whatever was sent, and every token is compared (no early exit): the time
 * taken says neither which token matched nor how much of one did.
 */
export function createTokenMatcher(tokens: readonly string[]): (presented: string) => number | undefined {
  const digests = tokens.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let match: number | undefined;
    for (const [index, expected] of digests.entries()) {
      if (timingSafeEqual(candidate, expected) && match === undefined) match = index;
    }
    return match;
  };
}

const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

/**
 * A filter of the query as the audit line shows it: the string a valid call sends (64 characters at
 * most). Anyone may send anything, a call without a token too: an overlong or repeated parameter
 * is left out rather than written at warn level as sent.
 */
function filterValue(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 64 ? value : undefined;
}

/** The checkout a call names, when it could be one (a requestId's form); else it is left out, as a filter would be. */
function checkoutValue(value: unknown): string | undefined {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value) ? value : undefined;
}

/**
 * RFC 6750 §3.1: a challenge on every 401, with error="invalid_token" only when a bearer token was
 * sent; a request without one (no or an empty header, "Bearer" alone, another scheme) gets none.
 */
function refuse(request: FastifyRequest, reply: FastifyReply, sentOne: boolean): void {
  reply.header('www-authenticate', sentOne ? 'Bearer realm="ops", error="invalid_token"' : 'Bearer realm="ops"');
  sendProblem(request, reply, {
    code: 'ops-unauthorized',
    status: 401,
    detail: sentOne
      ? 'The bearer token is not one of OPS_TOKENS.'
      : 'The operations API needs Authorization: Bearer <one of OPS_TOKENS> (in Swagger UI: the Authorize button).',
  });
}

/**
 * Guards the routes of the scope it is registered in (the /ops tree): off without tokens (a 404,
 * like any unknown path), else a bearer token of OPS_TOKENS or a 401; and one audit line per call,
 * naming the token by its index only.
 */
export const opsAuthPlugin = fp(
  (app: FastifyInstance, options: OpsAuthOptions) => {
    const match = createTokenMatcher(options.tokens);
    const enabled = options.tokens.length > 0;
    /** Requests that sent a bearer token which is none of OPS_TOKENS (their 401 says invalid_token). */
    const wrongTokens = new WeakSet<FastifyRequest>();
    /** Requests audited already: onSend runs again when sending the answer fails and an error is sent instead. */
    const audited = new WeakSet<FastifyRequest>();

    // The token is matched as the request arrives, so the rate limit (the next onRequest hook) can
    // give each token a budget of its own, apart from the calls without a valid one.
    app.addHook('onRequest', async (request, reply) => {
      if (!enabled) {
        reply.callNotFound();
        return reply;
      }
      const header = request.headers.authorization;
      const presented = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
      const index = presented === undefined ? undefined : match(presented);
      if (index !== undefined) request.opsToken = index;
      else if (presented !== undefined) wrongTokens.add(request);
    });
    // After the rate limit, so guessing tokens spends the caller's budget; before the body is read,
    // so nothing about a request (its content type, its body, its parameters) is answered to a
    // caller without a token: a 401 comes first.
    app.addHook('preParsing', (request, reply, payload, done) => {
      if (request.opsToken === undefined) {
        // Answered: done() is not called, so the request goes no further.
        refuse(request, reply, wrongTokens.has(request));
        return;
      }
      done(null, payload);
    });
    // As the answer goes out, not once it has arrived (onResponse): a call whose client left
    // before its answer, such as a refresh while Flinks is read, is audited too. The last onSend
    // hook of the ops scope, so that the status it writes is the one sent.
    app.addHook('onSend', async (request, reply, payload) => {
      if (!enabled || audited.has(request)) return payload;
      audited.add(request);
      const params = request.params as { requestId?: string } | undefined;
      const query = request.query as { referenceId?: unknown; status?: unknown } | undefined;
      const checkout = checkoutValue(params?.requestId);
      const referenceId = filterValue(query?.referenceId);
      const status = filterValue(query?.status);
      const line = {
        audit: 'ops',
        // The index only; `token` itself is a redacted log key.
        opsToken: request.opsToken ?? null,
        action: `${request.method} ${request.routeOptions.url ?? pathOf(request)}`,
        ...(checkout === undefined ? {} : { checkout }),
        ...(referenceId === undefined ? {} : { referenceId }),
        ...(status === undefined ? {} : { status }),
        statusCode: reply.statusCode,
      };
      if (request.opsToken === undefined) request.log.warn(line, 'ops call refused');
      else request.log.info(line, 'ops call');
      return payload;
    });
    return Promise.resolve();
  },
  { name: 'ops-auth' },
);
