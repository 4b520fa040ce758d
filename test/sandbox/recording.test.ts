import t from 'tap';
import { createSandboxControl, MAX_RECORDED_CALLS } from '../../sandbox/control.js';
import { basic, bearer, FORM, startSandbox } from './helpers.js';

void t.test('every API call is recorded with its headers, raw body and status, rejected ones too', async (t) => {
  const sandbox = await startSandbox(t);
  await sandbox.call('POST', '/api/v1/authorize', { headers: FORM, body: 'grant_type=client_credentials' });
  const { token, requestId } = await sandbox.checkout();
  await sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: bearer(token) });

  const { calls } = sandbox.control;
  t.same(
    calls.map((c) => [c.step, c.statusCode]),
    [
      ['authorize', 401],
      ['authorize', 200],
      ['initiate', 200],
      ['paymentrequest', 200],
      ['status', 200],
    ],
  );
  t.match(calls[0], {
    method: 'POST',
    path: '/api/v1/authorize',
    rawBody: 'grant_type=client_credentials',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(calls[1]?.headers.authorization, basic());
  t.equal(calls[4]?.path, `/api/v1/paymentrequests/${requestId}`);
  t.equal(calls[4]?.rawBody, '');
  t.equal(sandbox.control.count('authorize'), 2);
  t.equal(sandbox.control.count('status'), 1);
});

void t.test('the app page and unknown routes are not recorded as API calls', async (t) => {
  const sandbox = await startSandbox(t);
  await sandbox.call('GET', '/app/?sessionId=nope');
  await sandbox.call('GET', '/api/v1/nothing');
  t.equal(sandbox.control.calls.length, 0);
});

void t.test('waitForCall resolves with the nth call of a step, before or after it arrives', async (t) => {
  const sandbox = await startSandbox(t);
  const second = sandbox.control.waitForCall('authorize', 2);
  await sandbox.authorize();
  t.equal((await sandbox.control.waitForCall('authorize')).statusCode, 200, 'already arrived');
  await sandbox.authorize();
  t.equal((await second).step, 'authorize', 'arrived later');
});

void t.test('reset clears recorded calls and pending faults', async (t) => {
  const sandbox = await startSandbox(t);
  await sandbox.authorize();
  sandbox.control.inject('authorize', { kind: 'status', status: 500 });
  sandbox.control.reset();
  t.equal(sandbox.control.calls.length, 0);
  t.ok(await sandbox.authorize(), 'fault was dropped');
  t.equal(sandbox.control.count('authorize'), 1);
});

void t.test('recorded calls are capped, dropping the oldest', async (t) => {
  const sandbox = await startSandbox(t, { control: createSandboxControl({ maxCalls: 3 }) });
  for (const id of ['a', 'b', 'c', 'd', 'e']) await sandbox.call('GET', `/api/v1/paymentrequests/${id}`);
  t.same(
    sandbox.control.calls.map((c) => c.path),
    ['c', 'd', 'e'].map((id) => `/api/v1/paymentrequests/${id}`),
  );
  t.equal(MAX_RECORDED_CALLS, 1000, 'default cap');
});

void t.test('a control handle refuses bad input and setStatus before it is attached', (t) => {
  const control = createSandboxControl();
  t.throws(() => {
    control.inject('status', { kind: 'garbage' }, 0);
  }, RangeError);
  t.throws(() => control.setStatus('x', 'Settled'), /not attached/);
  t.end();
});

void t.test('control.setStatus takes only the nine documented statuses', async (t) => {
  const sandbox = await startSandbox(t);
  const { requestId } = await sandbox.checkout();
  t.throws(() => sandbox.control.setStatus(requestId, 'Completed' as 'Settled'), RangeError, 'a v2 status');
  t.throws(() => sandbox.control.setStatus(requestId, 'settled' as 'Settled'), RangeError, 'wrong casing');
  t.equal(await sandbox.statusOf(requestId), 'Initiated');
});

void t.test('a body over 16 KiB is refused with 413 problem+json and still recorded', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.call('POST', '/api/v1/authorize', {
    headers: { authorization: basic(), ...FORM },
    body: `grant_type=client_credentials&pad=${'x'.repeat(16 * 1024)}`,
  });
  t.equal(res.status, 413);
  t.match(res.contentType, /^application\/problem\+json/);
  t.match(sandbox.control.calls, [{ step: 'authorize', statusCode: 413, rawBody: '' }]);
});
