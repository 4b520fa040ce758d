import t from 'tap';
import { GUID_PATTERN, InitiateSessionResponseSchema } from '../../src/upstream/flinks-pay/schemas.js';
import { basic, bearer, JSON_TYPE, sessionBody, startSandbox } from './helpers.js';

const PATH = '/api/v1/sessions/initiate';

void t.test('POST /sessions/initiate creates a session and echoes referenceId', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.initiate(await sandbox.authorize(), { referenceId: 'order-42' });
  t.equal(res.status, 200);
  t.match(res.contentType, /^application\/json/);
  const parsed = InitiateSessionResponseSchema.parse(res.json);
  t.match(parsed.sessionId, GUID_PATTERN);
  t.equal(parsed.referenceId, 'order-42');
});

void t.test('POST /sessions/initiate requires a bearer token (none, Basic or unknown → 401)', async (t) => {
  const sandbox = await startSandbox(t);
  const body = JSON.stringify(sessionBody());
  const cases: [string, Record<string, string>][] = [
    ['none', {}],
    ['basic', { authorization: basic() }],
    ['unknown token', bearer('84002b62-a47e-45a6-97dd-306a8f9721d7')],
  ];
  for (const [name, headers] of cases) {
    const res = await sandbox.call('POST', PATH, { headers: { ...headers, ...JSON_TYPE }, body });
    t.equal(res.status, 401, name);
    t.match(res.contentType, /^application\/problem\+json/, name);
    t.match(res.headers['www-authenticate'], /^Bearer /, name);
  }
});

void t.test('a token initiates exactly one session: the second initiate is 401', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  t.equal((await sandbox.initiate(token)).status, 200);
  const again = await sandbox.initiate(token, { referenceId: 'order-2' });
  t.equal(again.status, 401);
  t.match(again.json, { status: 401, detail: /already initiated/ });
});

void t.test('a rejected initiate body does not use up the token', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  t.equal((await sandbox.initiate(token, { firstName: '' })).status, 400);
  t.equal((await sandbox.initiate(token)).status, 200);
});

void t.test('a token expires after expires_in seconds (401 from then on)', async (t) => {
  const sandbox = await startSandbox(t);
  const fresh = await sandbox.authorize();
  const stale = await sandbox.authorize();
  sandbox.clock.now += 298_999;
  t.equal((await sandbox.initiate(fresh)).status, 200, 'still valid just before expiry');
  sandbox.clock.now += 1;
  const res = await sandbox.initiate(stale);
  t.equal(res.status, 401, 'expired at exactly expires_in');
  t.match(res.json, { detail: /unknown or expired/ });
});

void t.test('amount must be a JSON number, not a string (400)', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.initiate(await sandbox.authorize(), { amount: '250.00' });
  t.equal(res.status, 400);
  t.match(res.contentType, /^application\/problem\+json/);
  t.match(res.json, { status: 400, errors: { amount: Array } });
});

void t.test('amount may have at most two decimals and no exponent (400)', async (t) => {
  const sandbox = await startSandbox(t);
  const send = async (literal: string): Promise<number> => {
    const token = await sandbox.authorize();
    const body = JSON.stringify(sessionBody({ amount: 0 })).replace('"amount":0', `"amount":${literal}`);
    return (await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body })).status;
  };
  t.equal(await send('12.345'), 400, '12.345');
  t.equal(await send('1e2'), 400, '1e2');
  t.equal(await send('0.10e1'), 400, '0.10e1');
  t.equal(await send('-5'), 400, 'negative');
  t.equal(await send('0'), 400, 'zero');
  t.equal(await send('12.3'), 200, '12.3');
  t.equal(await send('250.00'), 200, '250.00');
});

void t.test('a duplicated or escaped amount key is judged by the value JSON.parse keeps', async (t) => {
  const sandbox = await startSandbox(t);
  const rest = JSON.stringify(sessionBody()).replace(/^\{"amount":[^,]+,/, '');
  const send = async (prefix: string): Promise<number> => {
    const token = await sandbox.authorize();
    const body = `{${prefix},${rest}`;
    return (await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body })).status;
  };
  t.equal(await send('"amount":1.00,"\\u0061mount":1.234'), 400);
  t.equal(await send('"amount":1.234, "amount" : 1.23'), 200);
});

void t.test('the exact amount literal is recorded in rawBody', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const body = JSON.stringify(sessionBody({ amount: 0 })).replace('"amount":0', '"amount":250.00');
  t.equal((await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body })).status, 200);
  const [call] = sandbox.control.calls.filter((c) => c.step === 'initiate');
  t.equal(call?.rawBody, body);
  t.match(call?.rawBody, /"amount":250\.00,/);
});

void t.test('names, e-mail and referenceId are required and bounded (400)', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const cases: Record<string, Record<string, unknown>> = {
    'no firstName': { firstName: undefined },
    'empty lastName': { lastName: '' },
    'long lastName': { lastName: 'x'.repeat(101) },
    'long firstName': { firstName: 'x'.repeat(101) },
    'empty middleName': { middleName: '' },
    'bad e-mail': { customerEmail: 'not-an-email' },
    'long e-mail': { customerEmail: `${'x'.repeat(89)}@example.com` },
    'long referenceId': { referenceId: 'r'.repeat(101) },
    'no e-mail': { customerEmail: undefined },
    'no referenceId': { referenceId: undefined },
    'no amount': { amount: undefined },
  };
  for (const [name, overrides] of Object.entries(cases)) {
    const res = await sandbox.initiate(token, overrides);
    t.equal(res.status, 400, name);
    t.match(res.json, { status: 400, errors: Object }, name);
  }
  const limits = { firstName: 'f'.repeat(100), middleName: 'Byron', referenceId: 'r'.repeat(100) };
  t.equal((await sandbox.initiate(token, limits)).status, 200, 'at the limits, with the optional middleName');
});

void t.test('unknown fields are rejected (400), e.g. the legacy customerName', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.initiate(await sandbox.authorize(), { customerName: 'Ada Lovelace' });
  t.equal(res.status, 400);
  t.match(res.json, { errors: Object });
});

void t.test('initiate requires a JSON body: form is 415, broken JSON is 400', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const form = await sandbox.call('POST', PATH, {
    headers: { ...bearer(token), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'amount=1.00',
  });
  t.equal(form.status, 415);
  const broken = await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body: '{"amount":' });
  t.equal(broken.status, 400);
  t.match(broken.json, { detail: /not valid JSON/ });
});
