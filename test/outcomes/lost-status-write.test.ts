import { Redis } from 'ioredis';
import t from 'tap';
import { buildTestApp, captureLogs, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { freePort, until } from '../support/net.js';
import { startRedis } from '../support/redis.js';
import { freshPrefix, newWebhookSecret, startMerchant } from './support.js';

/*
 * A status change whose write timed out here while Redis still made it (Redis paused for a moment)
 * was recorded but never queued for the merchant, and every later read saw "no change": the
 * merchant never heard of it. The observation is now noted again until the store answers, and the
 * record's status is queued (a no-op when it already was).
 */
t.test('a status change whose write timed out here but was made in Redis still reaches the merchant', async (t) => {
  const port = await freePort();
  await startRedis(t, port);
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret);
  const logs = captureLogs();
  const app = await buildTestApp(
    t,
    sandbox,
    {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_KEY_PREFIX: freshPrefix(),
      MERCHANT_WEBHOOK_URL: merchant.url,
      MERCHANT_WEBHOOK_SECRET: secret,
      STATUS_CACHE_MS: '0',
      LOG_LEVEL: 'error',
    },
    { logStream: logs.stream },
  );
  await app.ready();
  await until('Redis is connected', async () => (await app.inject({ url: '/ready' })).statusCode === 200);
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  sandbox.control.setStatus(requestId, 'Accepted');

  const admin = new Redis(`redis://127.0.0.1:${port}`);
  t.teardown(() => admin.quit());
  // Redis pauses writes while Flinks answers the read: the status change's write waits longer than
  // the service's command timeout (1 s), and Redis makes it afterwards.
  sandbox.control.inject('status', { kind: 'delay', ms: 300 });
  const reading = app.inject({ url: `/checkout/${requestId}`, headers: { 'x-request-id': 'read-during-pause' } });
  await sandbox.control.waitForCall('status');
  await admin.call('CLIENT', 'PAUSE', '1600', 'WRITE');
  const read = await reading;
  t.equal(read.statusCode, 200, read.body);
  t.match(read.json(), { status: 'Accepted' });
  const failedWrite = logs
    .lines()
    .map((line) => JSON.parse(line) as { msg?: string; requestId?: string })
    .find((entry) => entry.msg?.startsWith('could not record a status change') === true);
  t.equal(failedWrite?.requestId, 'read-during-pause', 'the error line carries the id of the request that read the status');

  await merchant.waitFor(() => merchant.received.length === 1, 'the Accepted event', 8000);
  t.match(merchant.received[0]?.event.data, { requestId, status: 'Accepted', final: false });
  const record = await app.outcomes.store.get(requestId);
  t.equal(record?.status, 'Accepted');
});
