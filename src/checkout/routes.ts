import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { CheckoutNotFoundError } from '../errors/app-errors.js';
import { ProblemSchema } from '../errors/problem.js';
import { IDEMPOTENCY_HEADER, type CheckoutIdempotency } from '../idempotency/checkout-idempotency.js';
import type { CheckoutInputResolver } from '../intent/checkout-input.js';
import type { CallContext } from '../upstream/flinks-pay/client.js';
import {
  CheckoutCreatedSchema,
  CheckoutHeadersSchema,
  CheckoutParamsSchema,
  CheckoutRequestSchema,
  CheckoutStatusSchema,
} from './schemas.js';
import type { CheckoutService } from './service.js';
import type { StatusRead } from './status-cache.js';

export interface CheckoutRoutesOptions {
  service: CheckoutService;
  readStatus: StatusRead;
  idempotency: CheckoutIdempotency;
  resolveAppUrl: (request: FastifyRequest) => string;
  /** Settles where the amount comes from (body or signed intent) before anything is claimed or sent. */
  resolveInput: CheckoutInputResolver;
}

function contextOf(request: FastifyRequest): CallContext {
  return { log: request.log, requestId: request.id };
}

export const checkoutRoutes: FastifyPluginAsyncZod<CheckoutRoutesOptions> = (
  app,
  { service, readStatus, idempotency, resolveAppUrl, resolveInput },
) => {
  app.post('/checkout', {
    config: { rateLimit: {} },
    onError: (request, _reply, error, done) => {
      idempotency.onError(request, error);
      done();
    },
    onSend: async (request, reply, payload) => {
      await idempotency.onSend(request, reply, payload);
      return payload;
    },
    schema: {
      summary: 'Start a checkout',
      description:
        'Calls Flinks Pay authorize → sessions/initiate → paymentrequests and returns the URL of the Flinks Pay app ' +
        'for the shopper. Credentials and tokens never leave the server. Where the service verifies signed intents, ' +
        'the amount must come in `intent` (signed by the merchant\'s backend): a body `amount` is then a 400 and an ' +
        'invalid intent a 401, and nothing reaches Flinks.',
      tags: ['checkout'],
      headers: CheckoutHeadersSchema,
      body: CheckoutRequestSchema,
      response: {
        201: CheckoutCreatedSchema,
        400: ProblemSchema,
        401: ProblemSchema,
        409: ProblemSchema,
        413: ProblemSchema,
        415: ProblemSchema,
        422: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        502: ProblemSchema,
        503: ProblemSchema,
        504: ProblemSchema,
      },
    },
    handler: async (request, reply) => {
      const { input, intentId } = await resolveInput(request.body);
      // An intent's jti is its checkout's key: however often it is sent, to whichever instance, one payment.
      const key = intentId === undefined ? request.headers[IDEMPOTENCY_HEADER] : `intent:${intentId}`;
      const source = intentId === undefined ? 'header' : 'intent';
      if (key !== undefined && (await idempotency.begin(request, reply, key, source))) return reply;
      const created = await service.createCheckout(contextOf(request), input, resolveAppUrl(request));
      return reply.code(201).header('location', `/checkout/${created.requestId}`).send(created);
    },
  });

  app.get('/checkout/:requestId', {
    schema: {
      summary: 'Read the status of a checkout',
      description:
        'Current Flinks Pay status. Poll until `final` is true, or follow the event stream. ' +
        'Requests that end in 404 count against a per-client limit.',
      tags: ['checkout'],
      params: CheckoutParamsSchema,
      response: {
        200: CheckoutStatusSchema,
        400: ProblemSchema,
        404: ProblemSchema,
        429: ProblemSchema,
        500: ProblemSchema,
        502: ProblemSchema,
        504: ProblemSchema,
      },
    },
    handler: async (request) => {
      await app.notFoundGuard.assertAllowed(request);
      try {
        return await readStatus(contextOf(request), request.params.requestId);
      } catch (error) {
        if (error instanceof CheckoutNotFoundError) await app.notFoundGuard.recordNotFound(request);
        throw error;
      }
    },
  });
  return Promise.resolve();
};
