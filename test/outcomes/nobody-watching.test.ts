import { Redis } from 'ioredis';
import t from 'tap';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { cleanRedisOnTeardown, freshPrefix, newWebhookSecret, REDIS_URL, startMerchant } from './support.js';

t.test('nobody watching: reconciliation on Redis reads the final status and the merchant receives it, signed', async (t) => {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret);
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const app = await buildTestApp(t, sandbox, {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    RECONCILE_FIRST_DELAY_MS: '50',
    MERCHANT_WEBHOOK_URL: merchant.url,
    MERCHANT_WEBHOOK_SECRET: secret,
    MERCHANT_WEBHOOK_RETRY_FIRST_MS: '50',
  });
  await app.ready();
  const created = await postCheckout(app, validCheckout({ referenceId: 'order-1001' }));
  t.equal(created.statusCode, 201);
  const { requestId } = created.json<{ requestId: string }>();

  // The shopper approves and closes the tab: no client ever reads the status again.
  sandbox.control.setStatus(requestId, 'Settled');
  await merchant.waitFor(() => merchant.received.length >= 1);

  const [webhook] = merchant.received;
  t.same(webhook?.event.data, { requestId, status: 'Settled', referenceId: 'order-1001', final: true });
  t.equal(webhook?.event.type, 'checkout.status_changed');
  t.equal(webhook?.headers['webhook-id'], `msg_${requestId}_Settled`);
  t.match(webhook?.headers['webhook-signature'], /^v1,[A-Za-z0-9+/=]+$/);
  t.ok(Date.parse(webhook?.event.timestamp ?? ''), 'timestamp is ISO 8601');
  t.same(merchant.rejected, [], 'every webhook verifies with the standardwebhooks package');

  // The record, its history, its attempts and the queued jobs hold no customer name or e-mail.
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.quit());
  const keys = (await redis.keys(`${prefix}*`)).filter((key) => !key.includes('idempotency'));
  t.ok(
    keys.some((key) => key.includes(`outcome:{${requestId}}`)),
    'the record is in Redis',
  );
  const dump = await Promise.all(
    keys.map(async (key) => {
      const type = await redis.type(key);
      if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
      if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, -1));
      if (type === 'zset') return JSON.stringify(await redis.zrange(key, 0, -1));
      if (type === 'stream') return JSON.stringify(await redis.xrange(key, '-', '+'));
      if (type === 'set') return JSON.stringify(await redis.smembers(key));
      return JSON.stringify(await redis.get(key));
    }),
  );
  t.match(dump.join(' '), /"referenceId":"order-1001"/, 'the values were read');
  t.notMatch(dump.join(' '), /Jane|Doe|jane@example\.com/, 'no personal data kept');
  t.match(await app.outcomes.store.history(requestId), [
    { status: 'Initiated', source: 'created' },
    { status: 'Settled', source: 'reconcile' },
  ]);
});
