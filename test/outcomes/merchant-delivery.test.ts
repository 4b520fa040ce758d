import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { buildTestApp, postCheckout, startSandbox, validCheckout, type RunningSandbox } from '../support/build.js';
import {
  cleanRedisOnTeardown,
  eventually,
  freshPrefix,
  newWebhookSecret,
  REDIS_URL,
  startMerchant,
  type MerchantAnswer,
  type ReceivedWebhook,
} from './support.js';

/*
 * Merchant webhooks over real HTTP, on Redis (BullMQ) and in memory alike: retried until the
 * merchant answers 2xx, with the same webhook-id, and never holding anything else up.
 */

const MODES = ['redis', 'memory'] as const;

async function setUp(
  t: Test,
  mode: (typeof MODES)[number],
  answer: (event: ReceivedWebhook['event'], attempt: number) => MerchantAnswer,
  env: Record<string, string> = {},
) {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret, answer);
  const prefix = freshPrefix();
  if (mode === 'redis') cleanRedisOnTeardown(t, prefix);
  const app = await buildTestApp(t, sandbox, {
    ...(mode === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
    MERCHANT_WEBHOOK_URL: merchant.url,
    MERCHANT_WEBHOOK_SECRET: secret,
    MERCHANT_WEBHOOK_RETRY_FIRST_MS: '20',
    STATUS_CACHE_MS: '0',
    ...env,
  });
  await app.ready();
  return { sandbox, merchant, app };
}

/** Creates a checkout, lets Flinks move it to `status` and reads it once (the read observes the change). */
async function checkoutReaching(app: FastifyInstance, sandbox: RunningSandbox, referenceId: string, status: 'Settled' | 'Accepted' = 'Settled') {
  const { requestId } = (await postCheckout(app, validCheckout({ referenceId }))).json<{ requestId: string }>();
  sandbox.control.setStatus(requestId, status);
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  return requestId;
}

for (const mode of MODES) {
  t.test(`${mode}: a merchant endpoint that keeps failing gets the event once it answers 2xx, under one webhook-id`, async (t) => {
    const { app, sandbox, merchant } = await setUp(t, mode, (_event, attempt) => (attempt <= 5 ? 503 : 200));
    const requestId = await checkoutReaching(app, sandbox, `down-${mode}`);
    await merchant.waitFor(() => merchant.received.length === 1);
    t.equal(merchant.attempts.length, 6, 'five refused attempts, then the delivery');
    t.same(new Set(merchant.attempts.map((a) => a.headers['webhook-id'])), new Set([`msg_${requestId}_Settled`]));
    t.same(new Set(merchant.attempts.map((a) => a.body)).size, 1, 'the same body on every attempt');
    const deliveries = await eventually(
      () => app.outcomes.store.deliveries(requestId),
      (d) => d.length === 6,
      'six recorded attempts',
    );
    t.same(
      deliveries.map((d) => [d.attempt, d.answer, d.outcome]),
      [
        [1, '503', 'retrying'],
        [2, '503', 'retrying'],
        [3, '503', 'retrying'],
        [4, '503', 'retrying'],
        [5, '503', 'retrying'],
        [6, '200', 'delivered'],
      ],
    );
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    t.match(metrics, /merchant_webhook_attempts_total\{outcome="retrying"\} 5/);
    t.match(metrics, /merchant_webhook_attempts_total\{outcome="delivered"\} 1/);
  });

  t.test(`${mode}: a hanging merchant request times out and is retried, and holds up neither other deliveries nor requests`, async (t) => {
    let slowAttempts = 0;
    // The slow order's first attempt never gets an answer; everything else is answered at once.
    const answer = (event: ReceivedWebhook['event']): MerchantAnswer => {
      if (event.data.referenceId !== 'slow') return 204;
      slowAttempts += 1;
      return slowAttempts === 1 ? 'hang' : 204;
    };
    const { app, sandbox, merchant } = await setUp(t, mode, answer, { MERCHANT_WEBHOOK_TIMEOUT_MS: '3000' });
    const slow = await checkoutReaching(app, sandbox, 'slow');
    await merchant.waitFor(() => merchant.attempts.length === 1, 'the hanging attempt');
    const started = performance.now();
    const others = await Promise.all(['fast-1', 'fast-2', 'fast-3', 'fast-4'].map((ref) => checkoutReaching(app, sandbox, ref)));
    await merchant.waitFor(() => others.every((id) => merchant.received.some((w) => w.event.data.requestId === id)), 'the other deliveries');
    const elapsed = performance.now() - started;
    t.ok(elapsed < 2500, `four checkouts created, read and delivered in ${Math.round(elapsed)} ms while one delivery hangs`);
    t.notOk(
      merchant.received.some((w) => w.event.data.requestId === slow),
      'the hanging one is not delivered yet',
    );

    await merchant.waitFor(() => merchant.received.some((w) => w.event.data.requestId === slow), 'the retried slow delivery');
    const deliveries = await eventually(
      () => app.outcomes.store.deliveries(slow),
      (d) => d.length === 2,
      'two attempts',
    );
    t.same(
      deliveries.map((d) => [d.answer, d.outcome]),
      [
        ['timeout', 'retrying'],
        ['204', 'delivered'],
      ],
    );
    t.ok((deliveries[0]?.durationMs ?? 0) >= 2900, 'the attempt lasted the timeout');
  });
}

t.test('during a secret rotation every attempt is signed with both secrets; a merchant verifying either one accepts it', async (t) => {
  const sandbox = await startSandbox(t);
  const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
  const newMerchant = await startMerchant(t, current);
  const oldMerchant = await startMerchant(t, previous);
  for (const [index, merchant] of [newMerchant, oldMerchant].entries()) {
    const app = await buildTestApp(t, sandbox, {
      MERCHANT_WEBHOOK_URL: merchant.url,
      MERCHANT_WEBHOOK_SECRET: current,
      MERCHANT_WEBHOOK_PREVIOUS_SECRET: previous,
      STATUS_CACHE_MS: '0',
    });
    await app.ready();
    await checkoutReaching(app, sandbox, `rotation-${index}`);
    await merchant.waitFor(() => merchant.received.length === 1);
    t.same(merchant.rejected, []);
    t.match(merchant.received[0]?.headers['webhook-signature'], /^v1,\S+ v1,\S+$/, 'two signatures, space-separated');
  }
});
