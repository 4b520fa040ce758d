import type { OutgoingHttpHeaders } from 'node:http';
import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { InputRefusedError } from '../../errors/app-errors.js';
import { REQUEST_ID_HEADER } from '../../observability/logger.js';

/** The request headers a CORS preflight must carry (@fastify/cors' strictPreflight). */
const PREFLIGHT_HEADERS = ['origin', 'access-control-request-method'] as const;

/**
 * What a cross-origin script may read of an answer: Idempotent-Replayed tells a retry it got the
 * first answer, the rate-limit counts let a page pace itself before it meets a 429.
 */
const EXPOSED_HEADERS = [
  'location',
  REQUEST_ID_HEADER,
  'retry-after',
  'idempotent-replayed',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/**
 * The CORS headers @fastify/cors puts on an answer (not a preflight) to a request from `origin`,
 * for the answers no hook of the app sees: the router's refusals of a path (early-errors.ts). A
 * page of an allowed origin can then read why its request was refused.
 */
export function crossOriginAnswerHeaders(origins: readonly string[], origin: string | undefined): OutgoingHttpHeaders {
  if (origins.length === 0) return {};
  return {
    vary: 'Origin',
    ...(origin !== undefined && origins.includes(origin) && { 'access-control-allow-origin': origin }),
    'access-control-expose-headers': EXPOSED_HEADERS.join(', '),
  };
}

/** Browsers may call the API only from the configured origins (none by default). */
export const corsPlugin = fp(
  async (app: FastifyInstance, options: { origins: readonly string[] }) => {
    if (options.origins.length > 0) {
      // @fastify/cors answers an OPTIONS request lacking either header with a text/plain 400 of its
      // own; refused here first, so the answer is problem+json like every error.
      app.addHook('onRequest', (request, _reply, done) => {
        // Every request passes here: only an OPTIONS one pays for the check.
        if (request.method !== 'OPTIONS') {
          done();
          return;
        }
        const missing = PREFLIGHT_HEADERS.filter((name) => !request.headers[name]);
        done(
          missing.length === 0
            ? undefined
            : new InputRefusedError(
                `An OPTIONS request is a CORS preflight here and needs ${missing.map((name) => `an ${name} header`).join(' and ')}.`,
                missing.map((path) => ({ path, message: 'is required in a CORS preflight request' })),
              ),
        );
      });
    }
    await app.register(fastifyCors, {
      origin: options.origins.length > 0 ? [...options.origins] : false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'idempotency-key', REQUEST_ID_HEADER],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  },
  { name: 'cors' },
);
