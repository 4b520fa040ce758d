import t from 'tap';
import { JSON_TYPE, startSandbox } from './helpers.js';

const BANK = 'flinks-capital';
const UNKNOWN_SESSION = '6c376ebd-1670-49e3-9148-26c1360f98d3';

void t.test('POST /app/api/sessions/:id/decision answers the status each decision leads to', async (t) => {
  const sandbox = await startSandbox(t);
  const cases = [
    [{ decision: 'approve', institution: BANK }, 'Processing'],
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
  t.equal((await sandbox.call('POST', '/app/api/sessions/not-a-guid/decision', {
    headers: JSON_TYPE,
    body: '{"decision":"cancel"}',
  })).status, 400, 'malformed sessionId');
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
