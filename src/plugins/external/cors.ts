import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from '../../observability/logger.js';

/** Browsers may call the API only from the configured origins (none by default). */
export const corsPlugin = fp(
  async (app: FastifyInstance, options: { origins: readonly string[] }) => {
    await app.register(fastifyCors, {
      origin: options.origins.length > 0 ? [...options.origins] : false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'idempotency-key', REQUEST_ID_HEADER],
      // What a cross-origin script may read of an answer: Idempotent-Replayed tells a retry it got the first answer.
      exposedHeaders: ['location', REQUEST_ID_HEADER, 'retry-after', 'idempotent-replayed'],
      maxAge: 600,
    });
  },
  { name: 'cors' },
);
