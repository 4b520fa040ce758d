import t from 'tap';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { runCommand } from '../support/process.js';
import { cleanRedisOnTeardown, eventually, freshPrefix, newWebhookSecret, openQueue, REDIS_URL, startMerchant } from './support.js';

/** `npm run -s webhooks:redeliver -- <args>`, as a process with exactly `env`. */
function redeliver(args: string[], env: Record<string, string>) {
  return runCommand(process.execPath, ['--import', 'tsx', 'scripts/webhooks-redeliver.ts', ...args], env);
}

const UNKNOWN_ID = '0b4c3c1e-0000-4000-8000-000000000000';

t.test('npm run webhooks:redeliver sends the latest event again, same webhook-id, through a running instance', async (t) => {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret);
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, MERCHANT_WEBHOOK_URL: merchant.url, MERCHANT_WEBHOOK_SECRET: secret };
  const app = await buildTestApp(t, sandbox, { ...env, STATUS_CACHE_MS: '0' });
  await app.ready();
  const { requestId } = (await postCheckout(app, validCheckout({ referenceId: 'order-again' }))).json<{ requestId: string }>();
  sandbox.control.setStatus(requestId, 'Settled');
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  await merchant.waitFor(() => merchant.received.length === 1);
  const queue = openQueue(t, 'merchant-webhooks', prefix);
  await eventually(
    () => queue.getJobCounts('completed'),
    (c) => c.completed === 1,
    'the delivery job to complete',
  );

  const { requestId: initiated } = (await postCheckout(app, validCheckout({ referenceId: 'order-open' }))).json<{ requestId: string }>();

  const run = await redeliver(['--', requestId, UNKNOWN_ID, initiated], env);
  t.equal(run.code, 1, 'exit 1: one requestId has no record, one no event yet');
  t.equal(
    run.stdout,
    `${requestId}: msg_${requestId}_Settled queued again\n` +
      `${UNKNOWN_ID}: no record (never created here, or older than 7 days, or than RECONCILE_MAX_AGE_HOURS when that is longer)\n` +
      `${initiated}: no status event sent yet (still Initiated); nothing to send again\n`,
  );
  await merchant.waitFor(() => merchant.received.length === 2, 'the redelivery');
  t.equal(merchant.received[1]?.headers['webhook-id'], merchant.received[0]?.headers['webhook-id'], 'the same webhook-id');
  t.equal(merchant.received[1]?.body, merchant.received[0]?.body, 'the same event');
  const deliveries = await eventually(
    () => app.outcomes.store.deliveries(requestId),
    (d) => d.length === 2,
    'two recorded deliveries',
  );
  t.same(
    deliveries.map((d) => d.outcome),
    ['delivered', 'delivered'],
  );
});

t.test('npm run webhooks:redeliver says what it needs', async (t) => {
  const usage = await redeliver([], {});
  t.equal(usage.code, 2);
  t.match(usage.stderr, /usage: npm run -s webhooks:redeliver/);
  const notAnId = await redeliver(['../etc'], {});
  t.equal(notAnId.code, 2);
  t.match(notAnId.stderr, /not a requestId/);
  const noRedis = await redeliver([UNKNOWN_ID], {});
  t.equal(noRedis.code, 2);
  t.match(noRedis.stderr, /REDIS_URL is not set/);
  const noMerchant = await redeliver([UNKNOWN_ID], { REDIS_URL });
  t.equal(noMerchant.code, 2);
  t.match(noMerchant.stderr, /MERCHANT_WEBHOOK_URL and MERCHANT_WEBHOOK_SECRET are not set/);
});
