import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { buildTestApp, captureLogs, postCheckout, startSandbox, validCheckout, type RunningSandbox } from '../../support/build.js';
import { eventually } from '../../outcomes/support.js';
import { until } from '../../support/net.js';

const SECRET = 'flinks-webhook-test-secret';

function hmac(body: string, secret = SECRET): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

async function setUpWebhooks(t: Test, env: Record<string, string> = {}) {
  const sandbox = await startSandbox(t);
  // Every GET asks Flinks (no status cache), so the reads a test counts are the ones it caused.
  const app = await buildTestApp(t, sandbox, { FLINKS_WEBHOOK_SECRET: SECRET, STATUS_CACHE_MS: '0', ...env });
  await app.ready();
  return { sandbox, app };
}

function postWebhook(app: FastifyInstance, body: string, signature?: string, header = 'x-webhook-signature') {
  return app.inject({
    method: 'POST',
    url: '/webhooks/flinks',
    headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { [header]: signature }) },
    payload: body,
  });
}

async function newCheckout(app: FastifyInstance, referenceId?: string): Promise<string> {
  const res = await postCheckout(app, validCheckout(referenceId ? { referenceId } : {}));
  return res.json<{ requestId: string }>().requestId;
}

const statusReads = (sandbox: RunningSandbox) => sandbox.control.count('status');

/** Waits for the background read a webhook triggers (the 202 comes first). */
async function nthStatusRead(sandbox: RunningSandbox, nth: number) {
  return sandbox.control.waitForCall('status', nth);
}

t.test('POST /webhooks/flinks is a problem+json 404 while FLINKS_WEBHOOK_SECRET is unset', async (t) => {
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox);
  const body = JSON.stringify({ requestId: 'abc' });
  const res = await postWebhook(app, body, `sha256=${hmac(body).toString('hex')}`);
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
});

t.test('a valid signature in either documented form is answered 202 and triggers one status read', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t);
  const requestId = await newCheckout(app);
  sandbox.control.setStatus(requestId, 'Accepted');
  const body = JSON.stringify({ EventType: 'SessionSetupStatusChanged', RequestId: requestId, Status: 'Completed', when: new Date().toISOString() });

  const upperHex = await postWebhook(app, body, `sha256=${hmac(body).toString('hex').toUpperCase()}`);
  t.equal(upperHex.statusCode, 202);
  t.same(upperHex.json(), { received: true });
  await nthStatusRead(sandbox, 1);
  const status = await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  t.equal(status.json<{ status: string }>().status, 'Accepted');

  sandbox.control.setStatus(requestId, 'Settled');
  const lowerHexOtherCase = await postWebhook(app, body, `SHA256=${hmac(body).toString('hex')}`);
  t.equal(lowerHexOtherCase.statusCode, 202, 'the prefix and hex in any case');
  const base64 = await postWebhook(app, body, hmac(body).toString('base64'));
  t.equal(base64.statusCode, 202, 'plain base64');
});

t.test('a webhook reads the checkout it names and records the status with source webhook', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t);
  const requestId = await newCheckout(app);
  sandbox.control.setStatus(requestId, 'Settled');
  // Nested, under one of the other documented names; the status inside is ignored.
  const body = JSON.stringify({ id: 'evt_1', data: { paymentRequestId: requestId, status: 'Failed' } });
  const before = statusReads(sandbox);
  t.equal((await postWebhook(app, body, hmac(body).toString('base64'))).statusCode, 202);
  await nthStatusRead(sandbox, before + 1);
  const history = await eventually(
    () => app.outcomes.store.history(requestId),
    (h) => h.length === 2,
    'the webhook-triggered change',
  );
  t.match(
    history,
    [
      { status: 'Initiated', source: 'created' },
      { status: 'Settled', source: 'webhook' },
    ],
    'the status read from Flinks, not the one in the event',
  );
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /checkout_status_changes_total\{source="webhook"\} 1/);
});

t.test('a webhook naming only a referenceId reads the checkout created with it', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t);
  const requestId = await newCheckout(app, 'order-77');
  sandbox.control.setStatus(requestId, 'Processing');
  const body = JSON.stringify({ referenceId: 'order-77' });
  t.equal((await postWebhook(app, body, hmac(body).toString('base64'))).statusCode, 202);
  const call = await nthStatusRead(sandbox, 1);
  t.match(call.path, requestId);
});

t.test('forged, re-signed, unsigned and malformed signatures are 401 problem+json and cause no read', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t);
  const requestId = await newCheckout(app);
  const body = JSON.stringify({ requestId });
  const tampered = JSON.stringify({ requestId, extra: 1 });
  const cases: [string, string | undefined, string][] = [
    ['no signature header', undefined, body],
    ['signed with another secret', `sha256=${hmac(body, 'not-the-secret').toString('hex')}`, body],
    ['a body changed after signing (re-signed by an attacker without the secret)', hmac(body).toString('base64'), tampered],
    ['a truncated signature', `sha256=${hmac(body).toString('hex').slice(0, 40)}`, body],
    ['garbage', 'sha256=zz', body],
    ['the empty string', '', body],
    ['another algorithm prefix', `sha1=${hmac(body).toString('hex')}`, body],
  ];
  for (const [name, signature, payload] of cases) {
    const res = await postWebhook(app, payload, signature);
    t.equal(res.statusCode, 401, name);
    t.match(res.headers['content-type'], /^application\/problem\+json/, name);
    t.match(res.json(), { status: 401, type: /invalid-webhook-signature$/ }, name);
  }
  t.equal(statusReads(sandbox), 0, 'no status read was triggered');
});

t.test('the signature header name follows FLINKS_WEBHOOK_SIGNATURE_HEADER', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t, { FLINKS_WEBHOOK_SIGNATURE_HEADER: 'Flinks-Signature' });
  const requestId = await newCheckout(app);
  const body = JSON.stringify({ requestId });
  t.equal((await postWebhook(app, body, hmac(body).toString('base64'))).statusCode, 401, 'the default header is not read');
  t.equal((await postWebhook(app, body, hmac(body).toString('base64'), 'flinks-signature')).statusCode, 202);
  await nthStatusRead(sandbox, 1);
});

t.test('an oversized body is refused with 413 before anything else', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t);
  const body = JSON.stringify({ requestId: 'x', padding: 'a'.repeat(70 * 1024) });
  const res = await postWebhook(app, body, hmac(body).toString('base64'));
  t.equal(res.statusCode, 413);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.equal(statusReads(sandbox), 0);
});

t.test('a replayed event is harmless: no read for a final checkout, at most one read per few seconds otherwise', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t);
  const requestId = await newCheckout(app);
  const body = JSON.stringify({ requestId, when: '2020-01-01T00:00:00Z' });
  const signature = hmac(body).toString('base64');
  for (let i = 0; i < 20; i += 1) t.equal((await postWebhook(app, body, signature)).statusCode, 202);
  await nthStatusRead(sandbox, 2);
  t.equal(statusReads(sandbox), 2, 'twenty replays in a row cause two reads: one at once, one a second later');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /flinks_webhooks_total\{outcome="accepted"\} 2/);
  t.match(metrics, /flinks_webhooks_total\{outcome="ignored"\} 18/);

  const settled = await newCheckout(app);
  sandbox.control.setStatus(settled, 'Settled');
  await app.inject({ method: 'GET', url: `/checkout/${settled}` });
  const reads = statusReads(sandbox);
  const finalBody = JSON.stringify({ requestId: settled });
  for (let i = 0; i < 5; i += 1) t.equal((await postWebhook(app, finalBody, hmac(finalBody).toString('base64'))).statusCode, 202);
  // The 202 comes before the background work: wait until all five are counted as ignored.
  await until('the five events are handled', async () =>
    /flinks_webhooks_total\{outcome="ignored"\} 23/.test((await app.inject({ method: 'GET', url: '/metrics' })).body),
  );
  t.equal(statusReads(sandbox), reads, 'no webhook-triggered read of a final checkout');
  t.match((await app.inject({ method: 'GET', url: `/checkout/${settled}` })).json(), { status: 'Settled' });
  t.equal(statusReads(sandbox), reads, 'nor a read of it by a client: its final status is the answer');
});

t.test('an event naming no checkout created here is answered 202, logged and dropped', async (t) => {
  const { app, sandbox } = await setUpWebhooks(t);
  for (const event of [{ requestId: '0b4c3c1e-0000-4000-8000-000000000000' }, { referenceId: 'never-created' }, { nothing: true }, 'not json']) {
    const body = typeof event === 'string' ? event : JSON.stringify(event);
    t.equal((await postWebhook(app, body, hmac(body).toString('base64'))).statusCode, 202);
  }
  t.equal(statusReads(sandbox), 0);
});

t.test("what a webhook leads to is logged under the webhook's request id: a dropped event, and the Flinks read it triggers", async (t) => {
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const app = await buildTestApp(t, sandbox, { FLINKS_WEBHOOK_SECRET: SECRET, STATUS_CACHE_MS: '0', LOG_LEVEL: 'info' }, { logStream: logs.stream });
  const requestId = await newCheckout(app);
  const lineOf = (id: string, msg: string, step?: string) =>
    logs
      .lines()
      .map((text) => JSON.parse(text) as { requestId?: string; msg?: string; upstream?: { step?: string } })
      .find((line) => line.requestId === id && line.msg === msg && (step === undefined || line.upstream?.step === step));

  const unknown = JSON.stringify({ requestId: 'never-made-here' });
  await app.inject({
    method: 'POST',
    url: '/webhooks/flinks',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': hmac(unknown).toString('base64'), 'x-request-id': 'hook-1' },
    payload: unknown,
  });
  await eventually(() => Promise.resolve(lineOf('hook-1', 'a Flinks webhook names no checkout created here; dropped')), Boolean, 'the dropped line');

  const known = JSON.stringify({ RequestId: requestId });
  await app.inject({
    method: 'POST',
    url: '/webhooks/flinks',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': hmac(known).toString('base64'), 'x-request-id': 'hook-2' },
    payload: known,
  });
  await eventually(() => Promise.resolve(lineOf('hook-2', 'upstream call', 'status')), Boolean, 'the line of the triggered read');
  t.pass('the Flinks read after the 202 has a line of its own');
});
