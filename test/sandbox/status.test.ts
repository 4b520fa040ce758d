import t from 'tap';
import { PAYMENT_STATUSES, STATUS_RESPONSE_CURRENT, STATUS_RESPONSE_FAILED, STATUS_RESPONSE_LEGACY } from '../fixtures/flinks-pay-v1.js';
import { mismatches } from './documented.js';
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
    PaymentLink: `${sandbox.baseUrl}/app/?sessionId=${sessionId}`,
  });
  t.same(mismatches(STATUS_RESPONSE_LEGACY, res.json), [], 'the older documented sample shape');
});

void t.test('PaymentLink uses appBaseUrl when configured', async (t) => {
  const sandbox = await startSandbox(t, { appBaseUrl: 'https://pay.example.test' });
  const { token, sessionId, requestId } = await sandbox.checkout();
  const res = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
  t.equal((res.json as { PaymentLink: string }).PaymentLink, `https://pay.example.test/app/?sessionId=${sessionId}`);
});

void t.test('GET /paymentrequests/:id accepts any live token, including a fresh or already used one', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, requestId } = await sandbox.checkout();
  const other = await sandbox.checkout();
  const fresh = await sandbox.authorize();
  for (const [name, bearerToken] of [
    ['initiating', token],
    ['fresh', fresh],
    ['other session', other.token],
  ] as const) {
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

void t.test('statuses are sent in their documented PascalCase', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, requestId } = await sandbox.checkout();
  for (const status of PAYMENT_STATUSES) {
    sandbox.control.setStatus(requestId, status);
    const res = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
    t.match(res.json, { requestId, status, ReferenceId: 'order-1', PaymentLink: String }, status);
  }
});

void t.test('statusShape current answers the later documented body { id, status, paymentReferenceNumber }', async (t) => {
  const sandbox = await startSandbox(t, { statusShape: 'current' });
  const { token, requestId } = await sandbox.checkout();
  const second = await sandbox.checkout();
  const res = await sandbox.call('GET', path(requestId), { headers: bearer(token) });
  t.equal(res.status, 200);
  t.same(mismatches(STATUS_RESPONSE_CURRENT, res.json), [], 'the later documented sample shape');
  t.match(res.json, { id: requestId, status: 'Initiated', paymentReferenceNumber: 'FLK-20231114-001' });
  const other = await sandbox.call('GET', path(second.requestId), { headers: bearer(token) });
  t.match(other.json, { paymentReferenceNumber: 'FLK-20231114-002' }, 'one number per payment request');
});

void t.test('a Failed request carries statusDetails in either shape, no other status does', async (t) => {
  for (const statusShape of ['legacy', 'current'] as const) {
    const sandbox = await startSandbox(t, { statusShape });
    const { token, requestId } = await sandbox.checkout();
    for (const status of PAYMENT_STATUSES) {
      sandbox.control.setStatus(requestId, status);
      const body = (await sandbox.call('GET', path(requestId), { headers: bearer(token) })).json as Record<string, unknown>;
      if (status === 'Failed') t.match(body.statusDetails, /name on the bank account does not match/, statusShape);
      else t.notOk('statusDetails' in body, `${statusShape} ${status}`);
    }
  }
  const legacy = await startSandbox(t);
  const { token, requestId } = await legacy.checkout();
  legacy.control.setStatus(requestId, 'Failed');
  const failed = await legacy.call('GET', path(requestId), { headers: bearer(token) });
  t.same(mismatches(STATUS_RESPONSE_FAILED, failed.json), [], 'the documented Failed sample shape');
});

void t.test('GET /paymentrequests/:id matches its path in any casing and the requestId in any case', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, requestId } = await sandbox.checkout();
  const res = await sandbox.call('GET', `/API/v1/PAYMENTREQUESTS/${requestId.toUpperCase()}`, { headers: bearer(token) });
  t.equal(res.status, 200);
  t.match(res.json, { requestId, status: 'Initiated' });
});
