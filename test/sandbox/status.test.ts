import t from 'tap';
import { PAYMENT_STATUSES, PaymentRequestStatusResponseSchema } from '../../src/upstream/flinks-pay/schemas.js';
import { bearer, startSandbox } from './helpers.js';

const path = (requestId: string): string => `/api/v1/paymentrequests/${requestId}`;

void t.test('GET /paymentrequests/:id returns status Initiated with legacy ReferenceId and PaymentLink', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, sessionId, requestId } = await sandbox.checkout();
  const res = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
  t.equal(res.status, 200);
  t.match(res.contentType, /^application\/json/);
  t.same(res.json, {
    requestId,
    status: 'Initiated',
    ReferenceId: 'order-1',
    PaymentLink: `/app/?sessionId=${sessionId}`,
  });
  t.match(PaymentRequestStatusResponseSchema.parse(res.json), { status: 'Initiated', requestId, referenceId: 'order-1' });
});

void t.test('PaymentLink uses appBaseUrl when configured', async (t) => {
  const sandbox = await startSandbox(t, { appBaseUrl: 'https://pay.example.test' });
  const { token, sessionId, requestId } = await sandbox.checkout();
  const res = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
  t.match(res.json, { PaymentLink: `https://pay.example.test/app/?sessionId=${sessionId}` });
});

void t.test('GET /paymentrequests/:id accepts any live token, including a fresh or already used one', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, requestId } = await sandbox.checkout();
  const other = await sandbox.checkout();
  const fresh = await sandbox.authorize();
  for (const [name, bearerToken] of [['initiating', token], ['fresh', fresh], ['other session', other.token]] as const) {
    t.equal((await sandbox.call('GET', path(requestId), { headers: bearer(bearerToken) })).status, 200, name);
  }
});

void t.test('GET /paymentrequests/:id requires a live bearer token (401)', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, requestId } = await sandbox.checkout();
  t.equal((await sandbox.call('GET', path(requestId))).status, 401, 'no auth');
  sandbox.clock.now += 299_000;
  const expired = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
  t.equal(expired.status, 401, 'expired');
  t.equal((await sandbox.call('GET', path(requestId), { headers: bearer(await sandbox.authorize()) })).status, 200);
});

void t.test('GET /paymentrequests/:id for an unknown request is 404 problem+json', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const res = await sandbox.call('GET', path('6c376ebd-1670-49e3-9148-26c1360f98d3'), { headers: bearer(token) });
  t.equal(res.status, 404);
  t.match(res.contentType, /^application\/problem\+json/);
  t.match(res.json, { type: String, title: 'Not Found', status: 404, detail: String });
});

void t.test('control.setStatus changes what the status endpoint reports', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, requestId } = await sandbox.checkout();
  t.equal(sandbox.control.setStatus(requestId, 'Settled'), true);
  t.equal(sandbox.control.setStatus('6c376ebd-1670-49e3-9148-26c1360f98d3', 'Settled'), false, 'unknown id');
  const res = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
  t.match(res.json, { status: 'Settled' });
});

void t.test('payment requests expire after the record TTL (404)', async (t) => {
  const sandbox = await startSandbox(t, { recordTtlSeconds: 600 });
  const { requestId } = await sandbox.checkout();
  sandbox.clock.now += 600_000;
  const res = await sandbox.call('GET', path(requestId), { headers: bearer(await sandbox.authorize()) });
  t.equal(res.status, 404);
});

void t.test('statuses are sent in their documented PascalCase, and the shared schema reads every documented casing', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, requestId } = await sandbox.checkout();
  for (const status of PAYMENT_STATUSES) {
    sandbox.control.setStatus(requestId, status);
    const res = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
    t.match(res.json, { requestId, status, ReferenceId: 'order-1', PaymentLink: String }, status);
  }
  for (const status of ['settled', 'SETTLED', 'sEtTlEd']) {
    t.equal(PaymentRequestStatusResponseSchema.parse({ requestId, status }).status, 'Settled', status);
  }
  const laterRevision = { id: requestId, status: 'Processing', paymentReferenceNumber: 'FLK-20260415-001' };
  t.match(PaymentRequestStatusResponseSchema.parse(laterRevision), { requestId, status: 'Processing' });
  t.match(PaymentRequestStatusResponseSchema.parse({ REQUESTID: requestId, Status: 'Failed', referenceid: 'x' }), {
    requestId,
    status: 'Failed',
    referenceId: 'x',
  });
  t.notOk(PaymentRequestStatusResponseSchema.safeParse({ requestId, status: 'Exploded' }).success, 'unknown status');
});
