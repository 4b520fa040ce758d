import t from 'tap';
import { request } from 'undici';
import { startSandbox, validCheckout } from '../support/build.js';
import { BFF_LISTENING, bffProcessEnv, startProcess } from '../support/process.js';
import { cleanRedisOnTeardown, freshPrefix, newWebhookSecret, REDIS_URL, startMerchant } from './support.js';

/*
 * A rolling deploy: an instance on Redis gets SIGTERM while checkouts are still on their way
 * through Flinks. They finish, and their reconciliation is scheduled before the queues close, so
 * the next instance learns their outcomes and tells the merchant, whoever closed the browser.
 */

const IN_FLIGHT = 3;

t.test(`SIGTERM with ${IN_FLIGHT} checkouts in flight: each is answered, and another instance delivers each outcome`, async (t) => {
  const sandbox = await startSandbox(t);
  const secret = newWebhookSecret();
  const merchant = await startMerchant(t, secret);
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const env = bffProcessEnv(sandbox.url, {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    MERCHANT_WEBHOOK_URL: merchant.url,
    MERCHANT_WEBHOOK_SECRET: secret,
    RECONCILE_FIRST_DELAY_MS: '1500',
  });

  const first = await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 800 }, IN_FLIGHT);
  const answers = Array.from({ length: IN_FLIGHT }, async (_, index) => {
    const res = await request(`${first.url}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validCheckout({ referenceId: `order-stopped-${index}` })),
    });
    return { status: res.statusCode, body: (await res.body.json()) as { requestId: string } };
  });
  await sandbox.control.waitForCall('paymentrequest', IN_FLIGHT);
  first.child.kill('SIGTERM');
  const created = await Promise.all(answers);
  t.same(
    created.map((answer) => answer.status),
    Array.from({ length: IN_FLIGHT }, () => 201),
    'every checkout in flight is answered',
  );
  t.match(await first.exited, { code: 0 });
  t.notMatch(first.output(), /could not record a checkout|could not be (written|made) before shutdown/, 'every record and its reconciliation was written');

  const requestIds = created.map((answer) => answer.body.requestId);
  for (const requestId of requestIds) sandbox.control.setStatus(requestId, 'Settled');
  await startProcess(t, 'src/server.ts', env, BFF_LISTENING);
  await merchant.waitFor(() => merchant.received.length === IN_FLIGHT, `the ${IN_FLIGHT} Settled events from the next instance`);
  t.same(
    merchant.received.map((webhook) => webhook.event.data.requestId).sort(),
    [...requestIds].sort(),
    'one Settled event for each checkout that was in flight',
  );
});
