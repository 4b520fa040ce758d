import t from 'tap';
import { JSON_TYPE, startSandbox } from './helpers.js';

const BANK = 'flinks-capital';
const UNKNOWN_SESSION = '6c376ebd-1670-49e3-9148-26c1360f98d3';

void t.test('POST /app/api/sessions/:id/decision answers the status each decision leads to', async (t) => {
  const sandbox = await startSandbox(t);
  const cases = [
    [{ decision: 'approve', institution: BANK }, 'Accepted'],
    [{ decision: 'decline', institution: BANK }, 'Declined'],
    [{ decision: 'cancel', institution: BANK }, 'Cancelled'],
    [{ decision: 'cancel' }, 'Cancelled'],
  ] as const;
  for (const [body, status] of cases) {
    const { sessionId, requestId } = await sandbox.checkout();
    const res = await sandbox.decide(sessionId, body);
    t.equal(res.status, 200, JSON.stringify(body));
    t.match(res.contentType, /^application\/json/);
    t.same(res.json, { status }, JSON.stringify(body));
    t.equal(await sandbox.statusOf(requestId), status, 'the API reports the same');
  }
});

void t.test('an approval the bank will refuse answers Processing, never a succeeding status', async (t) => {
  const sandbox = await startSandbox(t);
  for (const customerName of ['Ada Declined', 'Ada Failed']) {
    const { sessionId, requestId } = await sandbox.checkout({ customerName });
    t.same((await sandbox.decide(sessionId, { decision: 'approve', institution: BANK })).json, { status: 'Processing' }, customerName);
    t.equal(await sandbox.statusOf(requestId), 'Processing');
  }
});

void t.test('a second decision on the same session is 409 and changes nothing', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId, requestId } = await sandbox.checkout();
  t.equal((await sandbox.decide(sessionId, { decision: 'cancel' })).status, 200);
  for (const body of [{ decision: 'approve', institution: BANK }, { decision: 'cancel' }]) {
    const again = await sandbox.decide(sessionId, body);
    t.equal(again.status, 409, body.decision);
    t.match(again.contentType, /^application\/problem\+json/);
    t.match(again.json, { status: 409, detail: 'This payment request is already Cancelled.' });
  }
  t.equal(await sandbox.statusOf(requestId), 'Cancelled');
});

void t.test('a decision after the request expired is 409', async (t) => {
  const sandbox = await startSandbox(t, { expiryMs: 60_000 });
  const { sessionId, requestId } = await sandbox.checkout();
  sandbox.clock.now += 60_000;
  const res = await sandbox.decide(sessionId, { decision: 'approve', institution: BANK });
  t.equal(res.status, 409);
  t.match(res.json, { detail: /already Expired/ });
  t.equal(await sandbox.statusOf(requestId), 'Expired');
});

void t.test('a decision needs a session with a payment request (404 unknown, 400 not activated)', async (t) => {
  const sandbox = await startSandbox(t);
  const unknown = await sandbox.decide(UNKNOWN_SESSION, { decision: 'cancel' });
  t.equal(unknown.status, 404);
  t.match(unknown.contentType, /^application\/problem\+json/);
  const { sessionId } = (await sandbox.initiate(await sandbox.authorize())).json as { sessionId: string };
  const notReady = await sandbox.decide(sessionId, { decision: 'cancel' });
  t.equal(notReady.status, 400);
  t.match(notReady.json, { detail: /no payment request/ });
});

void t.test('the decision body is validated (400): known decision, a known bank for approve and decline', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId, requestId } = await sandbox.checkout();
  const cases: Record<string, unknown> = {
    'no decision': {},
    'unknown decision': { decision: 'maybe', institution: BANK },
    'approve without a bank': { decision: 'approve' },
    'decline without a bank': { decision: 'decline' },
    'unknown bank': { decision: 'approve', institution: 'real-bank' },
    'extra field': { decision: 'cancel', amount: 1 },
    'not an object': ['approve'],
  };
  for (const [name, body] of Object.entries(cases)) {
    const res = await sandbox.decide(sessionId, body);
    t.equal(res.status, 400, name);
    t.match(res.json, { status: 400, errors: Object }, name);
  }
  t.equal(
    (
      await sandbox.call('POST', '/app/api/sessions/not-a-guid/decision', {
        headers: JSON_TYPE,
        body: '{"decision":"cancel"}',
      })
    ).status,
    400,
    'malformed sessionId',
  );
  t.equal(await sandbox.statusOf(requestId), 'Initiated', 'nothing was decided');
});

void t.test('a decision must be JSON: a form post (what a cross-site form sends) is 415', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId, requestId } = await sandbox.checkout();
  const form = await sandbox.call('POST', `/app/api/sessions/${sessionId}/decision`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'decision=cancel',
  });
  t.equal(form.status, 415);
  const plain = await sandbox.call('POST', `/app/api/sessions/${sessionId}/decision`, {
    headers: { 'content-type': 'text/plain' },
    body: '{"decision":"cancel"}',
  });
  t.equal(plain.status, 415);
  t.equal(await sandbox.statusOf(requestId), 'Initiated');
});

void t.test('decisions are not recorded as Flinks API calls', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId } = await sandbox.checkout();
  sandbox.control.reset();
  await sandbox.decide(sessionId, { decision: 'cancel' });
  t.equal(sandbox.control.calls.length, 0);
});

void t.test('POST /app/api/sessions/:id/start marks the shopper in the flow: Initiated becomes Processing', async (t) => {
  const sandbox = await startSandbox(t);
  const { sessionId, requestId } = await sandbox.checkout();
  t.equal(await sandbox.statusOf(requestId), 'Initiated', 'before the app is opened');
  const started = await sandbox.start(sessionId);
  t.equal(started.status, 200);
  t.same(started.json, { status: 'Processing' });
  t.equal(await sandbox.statusOf(requestId), 'Processing', 'while the shopper is in the app');
  t.same((await sandbox.start(sessionId)).json, { status: 'Processing' }, 'a reload starts nothing new');
  t.same((await sandbox.decide(sessionId, { decision: 'approve', institution: BANK })).json, { status: 'Accepted' });
  const again = await sandbox.start(sessionId);
  t.equal(again.status, 409, 'decided: the app cannot be started again');
  t.match(again.json, { detail: 'This payment request is already Accepted.' });
});

void t.test('a started request nobody decides on still expires after expiryMs', async (t) => {
  const sandbox = await startSandbox(t, { expiryMs: 60_000 });
  const { sessionId, requestId } = await sandbox.checkout();
  sandbox.clock.now += 30_000;
  await sandbox.start(sessionId);
  sandbox.clock.now += 29_999;
  t.equal(await sandbox.statusOf(requestId), 'Processing');
  sandbox.clock.now += 1;
  t.equal(await sandbox.statusOf(requestId), 'Expired');
  t.equal((await sandbox.start(sessionId)).status, 409);
});

void t.test('start answers like a decision for a bad session (404, 400) and takes only JSON `{}`', async (t) => {
  const sandbox = await startSandbox(t);
  t.equal((await sandbox.start(UNKNOWN_SESSION)).status, 404, 'unknown session');
  const { sessionId } = (await sandbox.initiate(await sandbox.authorize())).json as { sessionId: string };
  t.equal((await sandbox.start(sessionId)).status, 400, 'no payment request yet');
  const ready = await sandbox.checkout();
  const url = `/app/api/sessions/${ready.sessionId}/start`;
  t.equal((await sandbox.call('POST', url, { headers: { 'content-type': 'text/plain' }, body: '{}' })).status, 415);
  t.equal((await sandbox.call('POST', url, { headers: JSON_TYPE, body: '{"go":true}' })).status, 400);
  t.equal(await sandbox.statusOf(ready.requestId), 'Initiated', 'nothing was started');
});
