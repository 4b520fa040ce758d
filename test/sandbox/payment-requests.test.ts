import t from 'tap';
import { PAYMENT_REQUEST_RESPONSE } from '../fixtures/flinks-pay-v1.js';
import { GUID, mismatches } from './documented.js';
import { basic, bearer, JSON_TYPE, startSandbox, type Harness } from './helpers.js';

const PATH = '/api/v1/paymentrequests';

async function session(sandbox: Harness): Promise<{ token: string; sessionId: string }> {
  const token = await sandbox.authorize();
  const res = await sandbox.initiate(token);
  return { token, sessionId: (res.json as { sessionId: string }).sessionId };
}

const create = (sandbox: Harness, token: string, body: unknown) =>
  sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body: JSON.stringify(body) });

void t.test('POST /paymentrequests activates a session with the token that initiated it', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, sessionId } = await session(sandbox);
  const res = await create(sandbox, token, { sessionId });
  t.equal(res.status, 200);
  t.match(res.contentType, /^application\/json/);
  t.same(Object.keys(res.json as object), ['requestId']);
  t.same(mismatches(PAYMENT_REQUEST_RESPONSE, res.json), [], 'the documented sample shape');
  t.match(res.json, { requestId: GUID });
});

void t.test('POST /paymentrequests for an unknown session is 404', async (t) => {
  const sandbox = await startSandbox(t);
  const { token } = await session(sandbox);
  const res = await create(sandbox, token, { sessionId: '6c376ebd-1670-49e3-9148-26c1360f98d3' });
  t.equal(res.status, 404);
  t.match(res.contentType, /^application\/problem\+json/);
});

void t.test('POST /paymentrequests with the token of another session is 404', async (t) => {
  const sandbox = await startSandbox(t);
  const first = await session(sandbox);
  const second = await session(sandbox);
  t.equal((await create(sandbox, second.token, { sessionId: first.sessionId })).status, 404, 'token of another session');
  t.equal((await create(sandbox, first.token, { sessionId: first.sessionId })).status, 200, 'own token works');
});

void t.test('POST /paymentrequests refuses a fresh token (404): a client may not re-authorize its way into a session', async (t) => {
  const sandbox = await startSandbox(t);
  const first = await session(sandbox);
  const fresh = await sandbox.authorize();
  t.equal((await create(sandbox, fresh, { sessionId: first.sessionId })).status, 404);
  t.equal((await create(sandbox, first.token, { sessionId: first.sessionId })).status, 200, 'the initiating token still may');
});

void t.test('POST /paymentrequests requires a live bearer token (401)', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, sessionId } = await session(sandbox);
  const body = JSON.stringify({ sessionId });
  t.equal((await sandbox.call('POST', PATH, { headers: JSON_TYPE, body })).status, 401, 'no auth');
  const withBasic = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...JSON_TYPE }, body });
  t.equal(withBasic.status, 401, 'basic');
  sandbox.clock.now += 299_000;
  t.equal((await create(sandbox, token, { sessionId })).status, 401, 'expired initiating token');
});

void t.test('a session gets at most one payment request (second is 409)', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, sessionId } = await session(sandbox);
  t.equal((await create(sandbox, token, { sessionId })).status, 200);
  const again = await create(sandbox, token, { sessionId });
  t.equal(again.status, 409);
  t.match(again.json, { status: 409, title: 'Conflict' });
});

void t.test('POST /paymentrequests validates its body (400): a GUID sessionId is required, an undocumented field is refused', async (t) => {
  const sandbox = await startSandbox(t);
  const { token, sessionId } = await session(sandbox);
  const missing = await create(sandbox, token, {});
  t.equal(missing.status, 400, 'missing');
  t.match(missing.json, { title: 'One or more validation errors occurred.', errors: { sessionId: ['The sessionId field is required.'] } });
  t.equal((await create(sandbox, token, { sessionId: '../../evil' })).status, 400, 'not a GUID');
  t.equal((await create(sandbox, token, { sessionId: 42 })).status, 400, 'not a string');
  const extra = await create(sandbox, token, { sessionId, amount: 1, requestId: 'mine' });
  t.equal(extra.status, 400, 'extra fields');
  t.same((extra.json as { errors: object }).errors, {
    amount: ["The JSON property 'amount' is not a field of this request."],
    requestId: ["The JSON property 'requestId' is not a field of this request."],
  });
  t.equal((await create(sandbox, token, { sessionId })).status, 200, 'the session was not activated by the refused call');
});

void t.test('POST /paymentrequests reads SessionId in any casing and a GUID in any case, at any path casing', async (t) => {
  const sandbox = await startSandbox(t);
  const first = await session(sandbox);
  t.equal((await create(sandbox, first.token, { SESSIONID: first.sessionId.toUpperCase() })).status, 200);
  const second = await session(sandbox);
  const res = await sandbox.call('POST', '/api/V1/PaymentRequests', {
    headers: { ...bearer(second.token), ...JSON_TYPE },
    body: JSON.stringify({ sessionId: second.sessionId }),
  });
  t.equal(res.status, 200);
  t.match(res.json, { requestId: GUID });
});
