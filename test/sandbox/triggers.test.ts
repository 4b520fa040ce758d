import t from 'tap';
import { FAILED_STATUS_DETAILS } from '../../sandbox/scenarios.js';
import { SANDBOX_DEFAULTS } from '../../sandbox/sandbox-plugin.js';
import { bearer, JSON_TYPE, startSandbox, type Harness } from './helpers.js';

/*
 * Every documented test trigger (sandbox/README.md "Test triggers"), over HTTP. Amounts are sent as
 * the BFF sends them: a JSON number literal with two decimals. The last name is the last word of
 * customerName.
 */

const BANK = { institution: 'flinks-capital' };

function initiateWith(sandbox: Harness, token: string, amount: string, overrides: Record<string, unknown> = {}) {
  const body = JSON.stringify({ amount: 0, customerName: 'Ada Lovelace', customerEmail: 'ada@example.com', referenceId: 'order-t', ...overrides });
  return sandbox.call('POST', '/api/v1/sessions/initiate', {
    headers: { ...bearer(token), ...JSON_TYPE },
    body: body.replace('"amount":0', `"amount":${amount}`),
  });
}

async function activate(sandbox: Harness, token: string, sessionId: string) {
  return sandbox.call('POST', '/api/v1/paymentrequests', {
    headers: { ...bearer(token), ...JSON_TYPE },
    body: JSON.stringify({ sessionId }),
  });
}

void t.test('amount 13.13: sessions/initiate answers 500 naming the trigger, and the token stays usable', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const res = await initiateWith(sandbox, token, '13.13');
  t.equal(res.status, 500);
  t.match(res.contentType, /^application\/problem\+json/);
  t.match(res.json, { status: 500, detail: /test trigger: amount 13\.13/ });
  t.equal(sandbox.control.calls.at(-1)?.statusCode, 500, 'recorded like any call');
  t.equal((await initiateWith(sandbox, token, '13.14')).status, 200, 'no session was created; a near amount is normal');
});

void t.test('triggers act only on valid, authenticated calls: names and tokens are still required', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  t.equal((await initiateWith(sandbox, token, '13.13', { customerName: '' })).status, 400, 'missing customer name');
  t.equal((await initiateWith(sandbox, token, '13.13', { customerEmail: 'nope' })).status, 400, 'bad e-mail');
  t.equal((await initiateWith(sandbox, 'not-a-token', '15.15')).status, 401, 'unknown token');
  t.equal((await initiateWith(sandbox, token, '13.130')).status, 400, 'more than two decimals');
});

void t.test('amount 14.14: paymentrequests answers 500 and the session stays unusable in the app', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const created = await initiateWith(sandbox, token, '14.14');
  t.equal(created.status, 200, 'initiate is normal');
  const { sessionId } = created.json as { sessionId: string };
  const res = await activate(sandbox, token, sessionId);
  t.equal(res.status, 500);
  t.match(res.json, { detail: /amount 14\.14 makes paymentrequests fail/ });
  t.equal((await sandbox.call('GET', `/app/?sessionId=${sessionId}`)).status, 400, 'no payment request was created');
});

void t.test('amount 15.15: sessions/initiate never answers, so the client times out', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const pending = sandbox.call('POST', '/api/v1/sessions/initiate', {
    headers: { ...bearer(token), ...JSON_TYPE },
    body: JSON.stringify({ amount: 15.15, customerName: 'A B', customerEmail: 'a@example.com', referenceId: 'h' }),
    headersTimeout: 100,
  });
  await t.rejects(pending, { code: 'UND_ERR_HEADERS_TIMEOUT' });
  t.equal(sandbox.control.calls.at(-1)?.statusCode, 0, 'nothing was sent');
});

void t.test('amount 15.15: the hang is bounded by hangLimitMs (default 60 s), then the connection drops', async (t) => {
  t.equal(SANDBOX_DEFAULTS.hangLimitMs, 60_000);
  const sandbox = await startSandbox(t, { hangLimitMs: 50 });
  const token = await sandbox.authorize();
  const started = performance.now();
  await t.rejects(initiateWith(sandbox, token, '15.15'), { code: 'UND_ERR_SOCKET' });
  t.ok(performance.now() - started >= 45, 'held for the limit');
});

void t.test('amount 16.16: sessions/initiate answers normally after slowTriggerMs (default 3 s)', async (t) => {
  t.equal(SANDBOX_DEFAULTS.slowTriggerMs, 3000);
  const sandbox = await startSandbox(t, { slowTriggerMs: 80 });
  const token = await sandbox.authorize();
  const started = performance.now();
  const res = await initiateWith(sandbox, token, '16.16');
  t.ok(performance.now() - started >= 75, 'took the delay');
  t.equal(res.status, 200);
  const { sessionId } = res.json as { sessionId: string };
  t.equal((await activate(sandbox, token, sessionId)).status, 200, 'and the session is real');
});

void t.test('amount 17.17: every status read answers 500; the other calls are normal', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const { sessionId } = (await initiateWith(sandbox, token, '17.17')).json as { sessionId: string };
  const { requestId } = (await activate(sandbox, token, sessionId)).json as { requestId: string };
  for (let read = 1; read <= 2; read += 1) {
    const res = await sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: bearer(token) });
    t.equal(res.status, 500, `read ${read}`);
    t.match(res.json, { detail: /amount 17\.17/ });
  }
  t.equal((await sandbox.decide(sessionId, { decision: 'approve', ...BANK })).status, 200, 'the app page still works');
});

void t.test('last name Declined: an approval passes Processing, then ends Declined', async (t) => {
  const sandbox = await startSandbox(t, { stepMs: 1000 });
  const { sessionId, requestId } = await sandbox.checkout({ customerName: 'Ada Declined' });
  t.same((await sandbox.decide(sessionId, { decision: 'approve', ...BANK })).json, { status: 'Processing' });
  sandbox.clock.now += 1000;
  t.equal(await sandbox.statusOf(requestId), 'Declined');
});

void t.test('last name Failed: an approval ends Failed with a name-mismatch statusDetails', async (t) => {
  const sandbox = await startSandbox(t, { stepMs: 1000 });
  const { token, sessionId, requestId } = await sandbox.checkout({ customerName: 'Ada King failed' });
  await sandbox.decide(sessionId, { decision: 'approve', ...BANK });
  sandbox.clock.now += 1000;
  const res = await sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: bearer(token) });
  t.match(res.json, { status: 'Failed', statusDetails: FAILED_STATUS_DETAILS });
  t.match(FAILED_STATUS_DETAILS, /NameMismatch/);
});

void t.test('last name Expired: an undecided request expires after one step instead of expiryMs', async (t) => {
  const sandbox = await startSandbox(t, { stepMs: 2000 });
  const { requestId } = await sandbox.checkout({ customerName: ' Ada  EXPIRED ' });
  sandbox.clock.now += 1999;
  t.equal(await sandbox.statusOf(requestId), 'Initiated');
  sandbox.clock.now += 1;
  t.equal(await sandbox.statusOf(requestId), 'Expired');
});

void t.test('a last-name trigger does not change decline or cancel, and other names settle', async (t) => {
  const sandbox = await startSandbox(t);
  const cancelled = await sandbox.checkout({ customerName: 'Ada Failed' });
  const ordinary = await sandbox.checkout({ customerName: 'Ada Declinedson' });
  const firstNameOnly = await sandbox.checkout({ customerName: 'Declined Lovelace' });
  await sandbox.decide(firstNameOnly.sessionId, { decision: 'approve', ...BANK });
  await sandbox.decide(cancelled.sessionId, { decision: 'cancel' });
  await sandbox.decide(ordinary.sessionId, { decision: 'approve', ...BANK });
  sandbox.clock.now += 3000;
  t.equal(await sandbox.statusOf(cancelled.requestId), 'Cancelled');
  t.equal(await sandbox.statusOf(ordinary.requestId), 'Settled');
  t.equal(await sandbox.statusOf(firstNameOnly.requestId), 'Settled', 'only the last word counts');
});
