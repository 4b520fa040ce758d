import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { cleanRedisOnTeardown, eventually, freshPrefix, openQueue, newWebhookSecret, REDIS_URL, startMerchant } from './support.js';

t.test('two instances on one Redis: every status change reaches the merchant exactly once', async (t) => {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret);
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const env = {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    RECONCILE_FIRST_DELAY_MS: '20',
    // Every read asks Flinks, so both instances observe each status.
    STATUS_CACHE_MS: '0',
    MERCHANT_WEBHOOK_URL: merchant.url,
    MERCHANT_WEBHOOK_SECRET: secret,
    MERCHANT_WEBHOOK_RETRY_FIRST_MS: '50',
  };
  const instances: FastifyInstance[] = [await buildTestApp(t, sandbox, env), await buildTestApp(t, sandbox, env)];
  await Promise.all(instances.map((app) => app.ready()));
  const [first] = instances;
  if (!first) throw new Error('no instance');

  const checkouts = await Promise.all(['order-a', 'order-b', 'order-c'].map(async (referenceId) => postCheckout(first, validCheckout({ referenceId }))));
  const ids = checkouts.map((res) => res.json<{ requestId: string }>().requestId);
  for (const status of ['Processing', 'Accepted', 'Processed', 'Settled'] as const) {
    for (const id of ids) sandbox.control.setStatus(id, status);
    // Both instances read every checkout at once, several times, while both reconcile it too.
    await Promise.all(instances.flatMap((app) => ids.flatMap((id) => [1, 2, 3].map(() => app.inject({ method: 'GET', url: `/checkout/${id}` })))));
  }
  await merchant.waitFor(() => merchant.received.filter((w) => w.event.data.final).length === ids.length, 'three Settled events');

  // Nothing is left to deliver anywhere, so no duplicate can still be on its way.
  const queue = openQueue(t, 'merchant-webhooks', prefix);
  const counts = await eventually(
    () => queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
    (c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0,
    'an idle delivery queue',
  );
  t.equal(counts.completed, 12, 'one delivery job per change');
  t.equal(counts.failed, 0);

  const seen = merchant.received.map((w) => `${w.event.data.requestId} ${w.event.data.status}`);
  t.equal(seen.length, 12, 'twelve deliveries');
  t.equal(new Set(seen).size, 12, 'none twice');
  for (const id of ids) {
    t.same(
      merchant.received
        .filter((w) => w.event.data.requestId === id)
        .map((w) => w.event.data.status)
        .sort(),
      ['Accepted', 'Processed', 'Processing', 'Settled'],
    );
    t.same(new Set(merchant.received.filter((w) => w.event.data.requestId === id).map((w) => w.headers['webhook-id'])).size, 4);
  }
});
