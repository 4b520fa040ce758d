import t, { type Test } from 'tap';
import { postCheckout, validCheckout } from '../../support/build.js';
import { eventually } from '../../outcomes/support.js';
import { MODES, opsCall, setUpOps, TOKENS, type Mode } from './support.js';

interface Detail {
  requestId: string;
  referenceId: string;
  status: string;
  final: boolean;
  history: { status: string; source: string }[];
  deliveries: { webhookId: string; attempt: number; outcome: string }[];
}

/** A checkout that Settled and whose webhook the merchant received once, ready to be redelivered. */
async function settledAndDelivered(t: Test, mode: Mode, referenceId: string) {
  const { app, sandbox, merchant, logs } = await setUpOps(t, mode, { merchant: true });
  if (!merchant) throw new Error('no merchant');
  const { requestId } = (await postCheckout(app, validCheckout({ referenceId }))).json<{ requestId: string }>();
  sandbox.control.setStatus(requestId, 'Settled');
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  await merchant.waitFor(() => merchant.received.length === 1);
  await eventually(
    () => app.outcomes.store.deliveries(requestId),
    (d) => d.length === 1,
    'the first recorded attempt',
  );
  return { app, merchant, logs, requestId };
}

for (const mode of MODES) {
  t.test(`${mode}: GET /ops/checkouts/{requestId} answers the record, its history with sources, its deliveries`, async (t) => {
    const { app, sandbox, merchant } = await setUpOps(t, mode, { merchant: true });
    const { requestId } = (await postCheckout(app, validCheckout({ referenceId: 'order-1001' }))).json<{ requestId: string }>();
    sandbox.control.setStatus(requestId, 'Settled');
    await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
    await merchant?.waitFor(() => merchant.received.length === 1);
    await eventually(
      () => app.outcomes.store.deliveries(requestId),
      (d) => d.length === 1,
      'the recorded attempt',
    );

    const res = await opsCall(app, 'GET', `/ops/checkouts/${requestId}`);
    t.equal(res.statusCode, 200);
    const detail = res.json<Detail>();
    t.match(detail, { requestId, referenceId: 'order-1001', status: 'Settled', final: true });
    t.same(
      detail.history.map((h) => [h.status, h.source]),
      [
        ['Initiated', 'created'],
        ['Settled', 'read'],
      ],
    );
    t.match(detail.deliveries, [{ webhookId: `msg_${requestId}_Settled`, attempt: 1, answer: '204', outcome: 'delivered' }]);

    const unknown = await opsCall(app, 'GET', '/ops/checkouts/no-such-checkout');
    t.equal(unknown.statusCode, 404);
    t.match(unknown.json(), { type: 'urn:problem-type:flinks-pay-bff:checkout-not-found' });
    t.equal((await opsCall(app, 'GET', '/ops/checkouts/bad%20id')).statusCode, 400);
  });

  t.test(`${mode}: POST …/refresh reads Flinks now and answers the record`, async (t) => {
    const { app, sandbox } = await setUpOps(t, mode);
    const { requestId } = (await postCheckout(app, validCheckout({ referenceId: 'order-2002' }))).json<{ requestId: string }>();
    sandbox.control.setStatus(requestId, 'Declined');
    const before = sandbox.control.count('status');
    const res = await opsCall(app, 'POST', `/ops/checkouts/${requestId}/refresh`);
    t.equal(res.statusCode, 200);
    t.equal(sandbox.control.count('status'), before + 1, 'one status call to Flinks');
    const detail = res.json<Detail>();
    t.match(detail, { requestId, referenceId: 'order-2002', status: 'Declined', final: true });
    t.same(
      detail.history.map((h) => [h.status, h.source]),
      [
        ['Initiated', 'created'],
        ['Declined', 'read'],
      ],
    );

    const unknown = await opsCall(app, 'POST', '/ops/checkouts/not-created-here/refresh');
    t.equal(unknown.statusCode, 404);
    t.equal(sandbox.control.count('status'), before + 1, 'no Flinks call for a checkout not created here');
  });

  t.test(`${mode}: POST …/redeliver answers 202 and the merchant gets a new attempt of the same webhook-id`, async (t) => {
    const { app, merchant, logs, requestId } = await settledAndDelivered(t, mode, 'order-3003');

    const res = await opsCall(app, 'POST', `/ops/checkouts/${requestId}/redeliver`);
    t.equal(res.statusCode, 202);
    t.same(res.json(), { requestId, status: 'Settled', webhookId: `msg_${requestId}_Settled`, queued: 'rerun' });
    await merchant.waitFor(() => merchant.received.length === 2, 'the redelivery');
    t.same(
      merchant.received.map((w) => w.headers['webhook-id']),
      [`msg_${requestId}_Settled`, `msg_${requestId}_Settled`],
    );
    t.equal(merchant.received[1]?.body, merchant.received[0]?.body, 'the same event');
    const deliveries = await eventually(
      () => app.outcomes.store.deliveries(requestId),
      (d) => d.length === 2,
      'two recorded attempts',
    );
    t.same(
      deliveries.map((d) => d.outcome),
      ['delivered', 'delivered'],
    );
    t.same(
      deliveries.map((d) => d.attempt),
      [1, 2],
      'numbered on from the first attempt, not from 1 again',
    );
    const audit = logs().filter((line) => line.includes('"audit":"ops"'));
    t.match(JSON.parse(audit.at(-1) ?? '{}'), { opsToken: 0, action: 'POST /ops/checkouts/:requestId/redeliver', checkout: requestId, statusCode: 202 });

    t.equal((await opsCall(app, 'POST', '/ops/checkouts/not-created-here/redeliver')).statusCode, 404);
  });

  t.test(`${mode}: five redeliveries of one checkout at once each answer 202`, async (t) => {
    const { app, merchant, logs, requestId } = await settledAndDelivered(t, mode, 'order-3004');

    const answers = await Promise.all(Array.from({ length: 5 }, () => opsCall(app, 'POST', `/ops/checkouts/${requestId}/redeliver`)));
    t.same(
      answers.map((res) => res.statusCode),
      [202, 202, 202, 202, 202],
    );
    for (const res of answers) t.match(res.json(), { webhookId: `msg_${requestId}_Settled`, queued: /^(rerun|pending)$/ });
    await merchant.waitFor(() => merchant.received.length >= 2, 'a redelivery');
    t.notOk(
      logs().some((line) => line.includes('"level":50')),
      'no error logged',
    );
  });
  t.test(`${mode}: POST …/redeliver of a checkout no status event was sent for is a 409, and nothing is sent`, async (t) => {
    const { app, sandbox, merchant } = await setUpOps(t, mode, { merchant: true });
    if (!merchant) throw new Error('no merchant');
    const { requestId } = (await postCheckout(app, validCheckout({ referenceId: 'order-3005' }))).json<{ requestId: string }>();

    const res = await opsCall(app, 'POST', `/ops/checkouts/${requestId}/redeliver`);
    t.equal(res.statusCode, 409);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(res.json(), {
      type: 'urn:problem-type:flinks-pay-bff:nothing-to-redeliver',
      status: 409,
      detail: /No status event has been sent for this checkout yet/,
      instance: `/ops/checkouts/${requestId}/redeliver`,
    });

    // Its first status change is the first event the merchant gets: no Initiated event went before it.
    sandbox.control.setStatus(requestId, 'Settled');
    await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
    await merchant.waitFor(() => merchant.received.length === 1, 'the Settled event');
    t.same(
      merchant.received.map((w) => w.event.data.status),
      ['Settled'],
    );
  });
}

t.test('POST …/redeliver is a 503 problem while merchant webhooks are off', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const res = await opsCall(app, 'POST', `/ops/checkouts/${requestId}/redeliver`);
  t.equal(res.statusCode, 503);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  t.match(res.json(), { type: 'urn:problem-type:flinks-pay-bff:merchant-webhooks-off', detail: /MERCHANT_WEBHOOK_URL/ });
  t.notOk(res.headers['retry-after'], 'no time to retry: it lasts until merchant webhooks are configured');
  t.notMatch(res.json(), { type: /not-ready$/ }, "not-ready is GET /ready's alone");
});

t.test('the POST ops operations answer 415 for a body that is not JSON, and their schemas say so', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const document = app.swagger() as { paths: Record<string, { post?: { responses: Record<string, unknown> } }> };
  for (const action of ['refresh', 'redeliver']) {
    const res = await app.inject({
      method: 'POST',
      url: `/ops/checkouts/${requestId}/${action}`,
      headers: { authorization: `Bearer ${TOKENS[0]}`, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    t.equal(res.statusCode, 415, action);
    t.match(res.json(), { type: /unsupported-media-type$/ });
    t.ok(document.paths[`/ops/checkouts/{requestId}/${action}`]?.post?.responses['415'], `${action}: 415 is in its responses`);
  }
});
