import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { startSandbox } from '../support/sandbox.js';

/* The simulator's Flinks-style webhooks: one signed event per status change, GEFT's signature form. */

const SECRET = 'sandbox-webhook-secret';

async function receiver(t: Test) {
  const events: { signature: string; body: string }[] = [];
  let notify: (() => void) | undefined;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      events.push({ signature: String(request.headers['x-webhook-signature']), body });
      response.writeHead(202).end();
      notify?.();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const waitFor = async (count: number) => {
    while (events.length < count) await new Promise<void>((resolve) => (notify = resolve));
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events, waitFor };
}

async function newPayment(url: string): Promise<{ requestId: string; sessionId: string }> {
  const auth = await fetch(`${url}/api/v1/authorize`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('sandbox:sandbox').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await auth.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const session = await fetch(`${url}/api/v1/sessions/initiate`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ amount: 12.34, customerName: 'Jane Doe', customerEmail: 'jane@example.com', referenceId: 'order-9' }),
  });
  const { sessionId } = (await session.json()) as { sessionId: string };
  const request = await fetch(`${url}/api/v1/paymentrequests`, { method: 'POST', headers, body: JSON.stringify({ sessionId }) });
  return { ...((await request.json()) as { requestId: string }), sessionId };
}

/** The shopper opens the session in the app page and approves it at a bank. */
async function approveInApp(url: string, sessionId: string): Promise<void> {
  const post = (path: string, body: unknown) =>
    fetch(`${url}/app/api/sessions/${sessionId}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  await post('start', {});
  await post('decision', { decision: 'approve', institution: 'maple-leaf-bank' });
}

t.test("the sandbox sends a signed event on every status change, through an approval's later steps", async (t) => {
  const hook = await receiver(t);
  const sandbox = await startSandbox(t, { stepMs: 50, webhooks: { url: hook.url, secret: SECRET } });
  const { requestId, sessionId } = await newPayment(sandbox.url);
  await approveInApp(sandbox.url, sessionId);
  await hook.waitFor(4);

  const bodies = hook.events.map((event) => JSON.parse(event.body) as Record<string, string>);
  t.same(
    bodies.map((body) => body.Status),
    ['Processing', 'Accepted', 'Processed', 'Settled'],
  );
  t.match(bodies[0], { EventType: 'PaymentRequestStatusChanged', RequestId: requestId, ReferenceId: 'order-9', when: String });
  for (const event of hook.events) {
    t.equal(event.signature, `sha256=${createHmac('sha256', SECRET).update(event.body).digest('hex').toUpperCase()}`, 'GEFT form, upper-case hex');
  }
});

t.test('each step of an approval is sent, also when its timer runs after the next step was due (a busy machine)', async (t) => {
  const hook = await receiver(t);
  let clock = Date.now();
  const sandbox = await startSandbox(t, { stepMs: 50, now: () => clock, webhooks: { url: hook.url, secret: SECRET } });
  const { sessionId } = await newPayment(sandbox.url);
  await approveInApp(sandbox.url, sessionId);
  // The simulator's clock is past the last step before the first step's timer has run.
  clock += 1000;
  await hook.waitFor(4);
  t.same(
    hook.events.map((event) => (JSON.parse(event.body) as { Status: string }).Status),
    ['Processing', 'Accepted', 'Processed', 'Settled'],
  );
});

t.test('a status forced through the control handle is sent too, once', async (t) => {
  const hook = await receiver(t);
  const sandbox = await startSandbox(t, { webhooks: { url: hook.url, secret: SECRET, signatureHeader: 'X-Webhook-Signature' } });
  const { requestId } = await newPayment(sandbox.url);
  sandbox.control.setStatus(requestId, 'Failed');
  sandbox.control.setStatus(requestId, 'Failed');
  await hook.waitFor(1);
  t.match(JSON.parse(hook.events[0]?.body ?? '{}'), { RequestId: requestId, Status: 'Failed' });
  t.equal(hook.events.length, 1);
});
