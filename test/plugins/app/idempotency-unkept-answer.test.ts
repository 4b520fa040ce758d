import Fastify from 'fastify';
import t from 'tap';
import { AppError } from '../../../src/errors/app-errors.js';
import { idempotencyPlugin } from '../../../src/plugins/app/idempotency.js';
import { metricsPlugin } from '../../../src/plugins/app/metrics.js';
import { createMemoryStore } from '../../../src/store/memory-store.js';

/*
 * A new checkout whose answer cannot be kept under its key (not text: never so with the checkout
 * route's JSON, but nothing else would notice) keeps the key claimed: freeing it would let a retry
 * make a second payment request.
 */

t.test('a 201 whose answer is not text keeps its key claimed, so a retry never pays again', async (t) => {
  const app = Fastify({ logger: false });
  t.teardown(() => app.close());
  await app.register(metricsPlugin);
  await app.register(idempotencyPlugin, { store: createMemoryStore({ maxEntries: 100 }), retentionMs: 60_000, claimTtlMs: 60_000 });
  app.setErrorHandler((error, _request, reply) => {
    void reply.code(error instanceof AppError ? error.status : 500).send({ type: error instanceof AppError ? error.code : 'internal-error' });
  });
  let paymentRequests = 0;
  app.post(
    '/checkout',
    { config: { idempotency: { keyOf: (request) => ({ key: String(request.headers['idempotency-key']), source: 'header' }) } } },
    async (_request, reply) => {
      paymentRequests += 1;
      reply.code(201).type('application/json');
      return Buffer.from(JSON.stringify({ requestId: `request-${paymentRequests}` }));
    },
  );
  const post = () =>
    app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' }, payload: { amount: '1.00' } });

  t.equal((await post()).statusCode, 201);
  const retry = await post();
  t.equal(retry.statusCode, 409, 'the retry finds the key still claimed');
  t.equal(paymentRequests, 1, 'and makes no second payment request');
});
