import t from 'tap';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { freePort, tcpRelay, until } from '../support/net.js';
import { startRedis } from '../support/redis.js';
import { freshPrefix, newWebhookSecret, startMerchant } from './support.js';

/*
 * While Redis cannot be reached, an instance still answers status reads of the checkouts it made
 * meanwhile, and what it reads from Flinks waits to be noted. Every status it read must reach the
 * record and the merchant once Redis is back, in the order read: the record only moves forward, so
 * a later status noted first would hide the earlier one for good.
 */
t.test('statuses read during a Redis outage are all noted, in order, and each reaches the merchant', async (t) => {
  const redisPort = await freePort();
  await startRedis(t, redisPort);
  const toRedis = await tcpRelay(t, redisPort);
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret);
  const app = await buildTestApp(t, sandbox, {
    REDIS_URL: `redis://127.0.0.1:${toRedis.port}`,
    REDIS_KEY_PREFIX: freshPrefix(),
    MERCHANT_WEBHOOK_URL: merchant.url,
    MERCHANT_WEBHOOK_SECRET: secret,
    STATUS_CACHE_MS: '0',
  });
  await app.ready();
  await until('Redis is connected', async () => (await app.inject({ url: '/ready' })).statusCode === 200);

  await toRedis.shut();
  const created = await postCheckout(app, validCheckout({ referenceId: 'order-read-in-outage' }));
  t.equal(created.statusCode, 201, 'an unkeyed checkout goes through during the outage');
  const { requestId } = created.json<{ requestId: string }>();
  for (const status of ['Accepted', 'Settled'] as const) {
    sandbox.control.setStatus(requestId, status);
    const read = await app.inject({ url: `/checkout/${requestId}` });
    t.match(read.json(), { status }, `${status} is read and answered during the outage`);
  }
  t.same(merchant.received, [], 'nothing reaches the merchant while the record cannot be written');

  await toRedis.open();
  await merchant.waitFor(() => merchant.received.length >= 2, 'both events', 15_000);
  const statuses = merchant.received.map((webhook) => webhook.event.data.status).sort();
  t.same(statuses, ['Accepted', 'Settled'], 'the merchant hears of both');
  const history = await app.outcomes.store.history(requestId);
  t.same(
    history.map((entry) => entry.status),
    ['Initiated', 'Accepted', 'Settled'],
    'the record lists both, in the order read',
  );
  t.equal((await app.outcomes.store.get(requestId))?.status, 'Settled');
});
