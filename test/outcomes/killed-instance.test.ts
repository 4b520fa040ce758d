import t from 'tap';
import { request } from 'undici';
import { startSandbox, validCheckout, type RunningSandbox } from '../support/build.js';
import { BFF_LISTENING, bffProcessEnv, startProcess } from '../support/process.js';
import { cleanRedisOnTeardown, eventually, freshPrefix, openQueue, newWebhookSecret, REDIS_URL, startMerchant } from './support.js';

/*
 * Real BFF processes on one Redis. An instance is killed (SIGKILL: no shutdown hook runs) while the
 * work it scheduled waits in Redis; another instance, started afterwards, does it.
 */

async function createCheckout(url: string, referenceId: string): Promise<string> {
  const res = await request(`${url}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(validCheckout({ referenceId })),
  });
  if (res.statusCode !== 201) throw new Error(`POST /checkout answered ${res.statusCode}: ${await res.body.text()}`);
  return ((await res.body.json()) as { requestId: string }).requestId;
}

function processEnv(sandbox: RunningSandbox, prefix: string, merchantUrl: string, secret: string, env: Record<string, string>) {
  return bffProcessEnv(sandbox.url, {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    MERCHANT_WEBHOOK_URL: merchantUrl,
    MERCHANT_WEBHOOK_SECRET: secret,
    ...env,
  });
}

t.test('an instance killed before its scheduled reconciliation: another instance reads the outcome and delivers it', async (t) => {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret);
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const env = processEnv(sandbox, prefix, merchant.url, secret, { RECONCILE_FIRST_DELAY_MS: '1500' });

  const first = await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  const requestId = await createCheckout(first.url, 'order-killed-1');
  first.child.kill('SIGKILL');
  await first.exited;
  sandbox.control.setStatus(requestId, 'Settled');

  await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  await merchant.waitFor(() => merchant.received.length === 1, 'the Settled event from the second instance');
  t.same(merchant.received[0]?.event.data, { requestId, status: 'Settled', referenceId: 'order-killed-1', final: true });
});

t.test('an instance killed between two delivery attempts: another instance retries with the same webhook-id', async (t) => {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  let merchantUp = false;
  const merchant = await startMerchant(t, secret, () => (merchantUp ? 200 : 503));
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const env = processEnv(sandbox, prefix, merchant.url, secret, { RECONCILE_FIRST_DELAY_MS: '100', MERCHANT_WEBHOOK_RETRY_FIRST_MS: '3000' });

  const first = await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  const requestId = await createCheckout(first.url, 'order-killed-2');
  sandbox.control.setStatus(requestId, 'Failed');
  await merchant.waitFor(() => merchant.attempts.length === 1, 'the first (refused) attempt');
  const queue = openQueue(t, 'merchant-webhooks', prefix);
  const job = await eventually(() => queue.getJob(`msg_${requestId}_Failed`), Boolean, 'the delivery job');
  await eventually(
    () => job?.getState() ?? Promise.resolve('unknown'),
    (state) => state === 'delayed',
    'the retry to be scheduled',
  );
  // The retry now waits in Redis, three seconds out; its instance dies.
  first.child.kill('SIGKILL');
  await first.exited;
  merchantUp = true;

  await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  await merchant.waitFor(() => merchant.received.length === 1, 'the retried event');
  const [refused, delivered] = merchant.attempts;
  t.equal(merchant.attempts.length, 2, 'one refused attempt, one delivered: nothing lost, nothing doubled');
  t.equal(delivered?.headers['webhook-id'], refused?.headers['webhook-id'], 'the same webhook-id');
  t.equal(delivered?.headers['webhook-id'], `msg_${requestId}_Failed`);
  t.match(delivered?.event.data, { requestId, status: 'Failed', final: true, reason: String });
});
