import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { CreateCheckout } from '../../checkout/create-checkout.js';
import { CheckoutCreatedSchema, CheckoutHeadersSchema, CheckoutRequestSchema } from '../../checkout/schemas.js';
import { ProblemSchema } from '../../errors/problem.js';
import type { CheckoutInputResolver, ResolvedCheckout } from '../../intents/checkout-input.js';
import { IDEMPOTENCY_HEADER } from '../../plugins/app/checkout-idempotency.js';
import { contextOf } from './context.js';
import { answerNoStore } from './no-store.js';

export interface CreateCheckoutRouteOptions {
  createCheckout: CreateCheckout;
  /** Settles where the amount comes from (body or signed intent) before anything is claimed or sent. */
  resolveInput: CheckoutInputResolver;
  /** Base URL of the Flinks Pay app that the launch URL points to (configured, never from the request). */
  appUrlFor: () => string;
}

/** POST /checkout */
export const createCheckoutRoute: FastifyPluginAsyncZod<CreateCheckoutRouteOptions> = (app, options) => {
  const resolved = new WeakMap<FastifyRequest, ResolvedCheckout>();
  const resolvedOf = (request: FastifyRequest): ResolvedCheckout => {
    const checkout = resolved.get(request);
    if (!checkout) throw new Error('the checkout input is resolved in preHandler');
    return checkout;
  };

  answerNoStore(app);
  app.post('/checkout', {
    config: {
      rateLimit: {},
      // Judged as written: 12.3400000000000001 is refused, not rounded to 12.34 by JSON.parse.
      numberLiterals: ['amount'],
      idempotency: {
        // An intent's jti is its checkout's key: however often it is sent (or signed again for the same
        // checkout), to whichever instance, one payment.
        keyOf: (request) => {
          const { intentId, input } = resolvedOf(request);
          if (intentId !== undefined) return { key: `intent:${intentId}`, source: 'intent', subject: input };
          const header = request.headers[IDEMPOTENCY_HEADER];
          return typeof header === 'string' ? { key: header, source: 'header' } : undefined;
        },
      },
    },
    schema: {
      operationId: 'createCheckout',
      summary: 'Start a checkout',
      description:
        'Calls Flinks Pay authorize → sessions/initiate → paymentrequests and returns the URL of the Flinks Pay app ' +
        'for the shopper. Credentials and tokens never leave the server. Where the service verifies signed intents, ' +
        "the amount must come in `intent` (signed by the merchant's backend): a body `amount` is then a 400 and an " +
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
    preHandler: async (request) => {
      resolved.set(request, await options.resolveInput(request.body, request.log));
    },
    handler: async (request, reply) => {
      const { input } = resolvedOf(request);
      const created = await options.createCheckout(contextOf(request), input, options.appUrlFor());
      // Returning the payload, not the reply: an awaited reply is a thenable, and Fastify answers
      // its then() by watching the raw response until it ends (stream.finished), per checkout.
      reply.code(201).header('location', `/checkout/${created.requestId}`);
      return created;
    },
  });
  return Promise.resolve();
};
