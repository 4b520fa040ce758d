import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { postCheckout, validCheckout } from '../support/build.js';
import { opsCall, setUpOps } from '../routes/ops/support.js';
import { eventually, openQueue, stepsEnded } from './support.js';

/*
 * A delivered merchant webhook's job stays in Redis an hour, not MERCHANT_WEBHOOK_MAX_AGE_HOURS:
 * after that the record's list of delivery attempts is what says the event was sent. Here the hour
 * passes by removing the completed job, as BullMQ does once it is an hour old.
 */

const HOUR_S = 60 * 60;

/** Runs a checkout's next reconciliation step now (the tests set its first delay to an hour). */
async function reconcileNow(t: Test, app: FastifyInstance, prefix: string, requestId: string): Promise<void> {
  const before = await stepsEnded(app.outcomes, 'final');
  const job = await openQueue(t, 'reconcile', prefix).getJob(`rec_${requestId}`);
  if (!job) throw new Error('no reconcile job');
  await job.promote();
  await eventually(
    () => stepsEnded(app.outcomes, 'final'),
    (steps) => steps === before + 1,
    'the reconciliation step that finds the final status',
  );
}

async function setUp(t: Test) {
  const { app, sandbox, merchant, prefix } = await setUpOps(t, 'redis', { merchant: true });
  if (!merchant || !prefix) throw new Error('no merchant or Redis');
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  return { app, sandbox, merchant, prefix, requestId, webhookId: `msg_${requestId}_Settled` };
}

t.test('a delivered event is not sent again once its job is gone, when reconciliation finds the final status', async (t) => {
  const { app, sandbox, merchant, prefix, requestId, webhookId } = await setUp(t);
  sandbox.control.setStatus(requestId, 'Settled');
  await app.inject({ url: `/checkout/${requestId}` });
  await merchant.waitFor(() => merchant.received.length === 1);

  const deliveries = openQueue(t, 'merchant-webhooks', prefix);
  const job = await deliveries.getJob(webhookId);
  t.same(job?.opts.removeOnComplete, { age: HOUR_S }, 'a delivered job is kept an hour');
  t.same(job?.opts.removeOnFail, { age: 72 * HOUR_S }, 'a job given up is kept MERCHANT_WEBHOOK_MAX_AGE_HOURS');
  await eventually(
    () => deliveries.getJobState(webhookId),
    (state) => state === 'completed',
    'the completed delivery job',
  );
  await deliveries.remove(webhookId);

  await reconcileNow(t, app, prefix, requestId);
  t.equal(merchant.attempts.length, 1, 'the merchant got the Settled event once');
  t.equal(await deliveries.getJob(webhookId), undefined, 'and it was not queued again');

  // An operator can still send it again, under the same webhook-id.
  const res = await opsCall(app, 'POST', `/ops/checkouts/${requestId}/redeliver`);
  t.equal(res.statusCode, 202);
  t.match(res.json(), { requestId, status: 'Settled', webhookId, queued: 'rerun' }, 'an ended delivery starts again');
  await merchant.waitFor(() => merchant.received.length === 2);
  t.same(
    merchant.received.map((w) => w.headers['webhook-id']),
    [webhookId, webhookId],
  );
});

t.test('a final status whose event was never queued is queued when reconciliation finds it', async (t) => {
  const { app, merchant, prefix, requestId, webhookId } = await setUp(t);
  // The change is in the record, but the instance that made it never queued its event (it died).
  const noted = await app.outcomes.store.observe(requestId, { status: 'Settled', final: true, source: 'read', at: Date.now() });
  t.ok(noted?.changed);

  await reconcileNow(t, app, prefix, requestId);
  await merchant.waitFor(() => merchant.received.length === 1);
  t.equal(merchant.received[0]?.headers['webhook-id'], webhookId);
});
