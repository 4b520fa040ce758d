import type { FastifyPluginAsync } from 'fastify';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { z } from 'zod';

/*
 * The demo page's "merchant backend": the part of a shop's server that receives the BFF's
 * merchant webhooks (Standard Webhooks, verified with the `standardwebhooks` package exactly as
 * docs/outcomes.md tells merchants to) and marks the order paid. The page shows what it knows, so
 * a payment approved in a popup closed at once still ends paid here. Orders live in memory,
 * bounded; beside the demo page only.
 */

const EventSchema = z.object({
  type: z.literal('checkout.status_changed'),
  timestamp: z.string(),
  data: z.object({
    requestId: z.string(),
    status: z.string(),
    referenceId: z.string(),
    final: z.boolean(),
    reason: z.string().optional(),
  }),
});

/** Funds guaranteed: the order can ship (Accepted and Processed come before Settled). */
const PAID = new Set(['Accepted', 'Processed', 'Settled']);
const RANK = ['Initiated', 'Processing', 'Accepted', 'Processed'];
const MAX_ORDERS = 1000;

interface Order {
  requestId: string;
  referenceId: string;
  status: string;
  final: boolean;
  paid: boolean;
  events: { webhookId: string; status: string; receivedAt: string }[];
}

export const demoMerchantRoutes: FastifyPluginAsync<{ secret: string }> = (app, { secret }) => {
  const verifier = new Webhook(secret);
  const orders = new Map<string, Order>();

  // The signature covers the exact bytes: verify them before parsing anything.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, body);
  });

  app.post('/demo/merchant/webhooks', { schema: { hide: true } }, (request, reply) => {
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    let payload: unknown;
    try {
      payload = verifier.verify(typeof request.body === 'string' ? request.body : '', headers);
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      return reply.code(401).send({ error: 'invalid signature' });
    }
    const event = EventSchema.parse(payload);
    const webhookId = headers['webhook-id'] ?? '';
    const { requestId, referenceId, status, final } = event.data;
    const order = orders.get(requestId) ?? { requestId, referenceId, status: 'Initiated', final: false, paid: false, events: [] };
    // At least once: a retried webhook-id was handled already; events may also arrive out of order.
    if (!order.events.some((seen) => seen.webhookId === webhookId)) {
      order.events.push({ webhookId, status, receivedAt: new Date().toISOString() });
      if (!order.final && (final || RANK.indexOf(status) > RANK.indexOf(order.status))) {
        Object.assign(order, { status, final });
        order.paid ||= PAID.has(status);
      }
    }
    orders.delete(requestId);
    orders.set(requestId, order);
    if (orders.size > MAX_ORDERS) orders.delete(orders.keys().next().value ?? '');
    request.log.info({ checkout: requestId, status, paid: order.paid }, 'demo merchant backend received a webhook');
    return reply.code(204).send();
  });

  // The page shows its merchant-backend panel only where this answers.
  app.get('/demo/merchant', { schema: { hide: true } }, (_request, reply) => reply.header('cache-control', 'no-store').send({ on: true }));

  app.get<{ Params: { requestId: string } }>('/demo/merchant/orders/:requestId', { schema: { hide: true } }, (request, reply) => {
    const order = orders.get(request.params.requestId);
    reply.header('cache-control', 'no-store');
    // No webhook yet is the normal state of a new order, not an error (a 404 is one in the browser's console).
    return order ? reply.send(order) : reply.code(204).send();
  });
  return Promise.resolve();
};
