import { performance } from 'node:perf_hooks';
import t, { type Test } from 'tap';
import { buildTestApp, postCheckout, startSandbox, validCheckout, type RunningSandbox } from '../support/build.js';
import { CUT_OFF } from '../../src/outcomes/merchant-sender.js';
import { cleanRedisOnTeardown, eventually, freshPrefix, newWebhookSecret, openQueue, REDIS_URL, startMerchant, type MerchantAnswer } from './support.js';

/*
 * An instance that stops (SIGTERM, a rolling deploy) while a merchant webhook is in flight: a
 * merchant answering within a moment is not sent the event again, and one that does not answer
 * neither holds the shutdown up nor loses the event.
 */

const MODES = ['redis', 'memory'] as const;
type Mode = (typeof MODES)[number];

/** Long enough that a shutdown waiting for it would be plain. */
const WEBHOOK_TIMEOUT_MS = 30_000;

async function startInstance(t: Test, mode: Mode, sandbox: RunningSandbox, merchant: { url: string }, secret: string, prefix: string) {
  const app = await buildTestApp(t, sandbox, {
    ...(mode === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
    MERCHANT_WEBHOOK_URL: merchant.url,
    MERCHANT_WEBHOOK_SECRET: secret,
    MERCHANT_WEBHOOK_RETRY_FIRST_MS: '20',
    MERCHANT_WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
    STATUS_CACHE_MS: '0',
  });
  await app.ready();
  return app;
}

/** A checkout Settled at Flinks, read once: its event is queued. Then the merchant's first attempt arrives. */
async function setUp(t: Test, mode: Mode, answer: (attempt: number) => MerchantAnswer) {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret, (_event, attempt) => answer(attempt));
  const prefix = freshPrefix();
  if (mode === 'redis') cleanRedisOnTeardown(t, prefix);
  const app = await startInstance(t, mode, sandbox, merchant, secret, prefix);
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  sandbox.control.setStatus(requestId, 'Settled');
  await app.inject({ url: `/checkout/${requestId}` });
  await merchant.waitFor(() => merchant.attempts.length === 1, 'the first attempt');
  return { app, sandbox, merchant, secret, prefix, requestId, webhookId: `msg_${requestId}_Settled` };
}

for (const mode of MODES) {
  t.test(`${mode}: a delivery in flight when the instance stops gets its answer, so the merchant is not sent the event again`, async (t) => {
    const { app, merchant, prefix, requestId, webhookId } = await setUp(t, mode, () => ({ status: 204, afterMs: 300 }));
    await app.close();
    t.equal(merchant.received.length, 1, 'the merchant took the event');
    if (mode === 'redis') {
      t.equal(await openQueue(t, 'merchant-webhooks', prefix).getJobState(webhookId), 'completed', 'its job ended as delivered: nobody sends it again');
    } else {
      const deliveries = await app.outcomes.store.deliveries(requestId);
      t.same(
        deliveries.map((d) => [d.answer, d.outcome]),
        [['204', 'delivered']],
      );
    }
  });
}

t.test('redis: a merchant that does not answer holds up neither the shutdown nor the event: the next instance delivers it', async (t) => {
  const { app, sandbox, merchant, secret, prefix, requestId, webhookId } = await setUp(t, 'redis', (attempt) => (attempt === 1 ? 'hang' : 204));
  const started = performance.now();
  await app.close();
  const closedInMs = performance.now() - started;
  t.ok(closedInMs < WEBHOOK_TIMEOUT_MS / 3, `closed in ${Math.round(closedInMs)} ms, without waiting for the merchant's answer`);
  t.equal(merchant.received.length, 0);

  const next = await startInstance(t, 'redis', sandbox, merchant, secret, prefix);
  await merchant.waitFor(() => merchant.received.length === 1, 'the delivery by the next instance');
  t.same(
    merchant.attempts.map((a) => a.headers['webhook-id']),
    [webhookId, webhookId],
    'the same webhook-id',
  );
  const deliveries = await eventually(
    () => next.outcomes.store.deliveries(requestId),
    (d) => d.length === 2,
    'both attempts recorded',
  );
  t.same(
    deliveries.map((d) => [d.answer, d.outcome]),
    [
      [CUT_OFF, 'retrying'],
      ['204', 'delivered'],
    ],
    'the cut attempt says why',
  );
});
