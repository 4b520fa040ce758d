import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from '../observability/logger.js';

/**
 * Browser-facing hardening: CORS only for the configured origins (none by default) and the usual
 * security headers. Swagger UI sets its own, stricter CSP for its static assets.
 */
export const httpSecurityPlugin = fp(
  async (app: FastifyInstance, options: { corsOrigins: readonly string[] }) => {
    await app.register(helmet, {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          frameSrc: ["'self'", 'https:'],
          imgSrc: ["'self'", 'data:'],
        },
      },
      // The hosted payment app is opened in a popup and posts messages back to its opener.
      crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
    });
    await app.register(cors, {
      origin: options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'idempotency-key', REQUEST_ID_HEADER],
      exposedHeaders: ['location', REQUEST_ID_HEADER, 'retry-after'],
      maxAge: 600,
    });
  },
  { name: 'http-security' },
);
