import t from 'tap';
import { basic, bearer, FORM, JSON_TYPE, sessionBody, startSandbox } from './helpers.js';

const authorize = { path: '/api/v1/authorize', body: 'grant_type=client_credentials' };
const INSTANCE = 'flinkspay-sandbox';

void t.test('the BaseURI header is accepted on every call when no instance is configured', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.call('POST', authorize.path, {
    headers: { authorization: basic(), baseuri: 'anything', ...FORM },
    body: authorize.body,
  });
  t.equal(res.status, 200);
  t.equal((await sandbox.call('POST', authorize.path, { headers: { authorization: basic(), ...FORM }, body: authorize.body })).status, 200, 'or absent');
});

void t.test('with an instance configured, a matching BaseURI passes and a missing or different one is 401', async (t) => {
  const sandbox = await startSandbox(t, { instance: INSTANCE });
  const send = (headers: Record<string, string>) =>
    sandbox.call('POST', authorize.path, { headers: { authorization: basic(), ...FORM, ...headers }, body: authorize.body });
  t.equal((await send({ BaseURI: INSTANCE })).status, 200, 'matching');
  const missing = await send({});
  t.equal(missing.status, 401, 'missing');
  t.match(missing.contentType, /^application\/problem\+json/);
  t.match(missing.json, { status: 401, title: 'Unauthorized', detail: /BaseURI/ });
  t.match(missing.headers['www-authenticate'], /^Basic /);
  const wrong = await send({ BaseURI: 'flinkspay-production' });
  t.equal(wrong.status, 401, 'different');
  t.match(wrong.json, { detail: /BaseURI/ });
});

void t.test('with an instance configured, every v1 call needs BaseURI: initiate, paymentrequests and status too', async (t) => {
  const sandbox = await startSandbox(t, { instance: INSTANCE });
  const { token, sessionId, requestId } = await sandbox.checkout();
  const fresh = await sandbox.authorize();
  const calls = {
    initiate: (headers: Record<string, string>) =>
      sandbox.call('POST', '/api/v1/sessions/initiate', {
        headers: { ...bearer(fresh), ...JSON_TYPE, ...headers },
        body: JSON.stringify(sessionBody()),
      }),
    paymentrequests: (headers: Record<string, string>) =>
      sandbox.call('POST', '/api/v1/paymentrequests', {
        headers: { ...bearer(token), ...JSON_TYPE, ...headers },
        body: JSON.stringify({ sessionId }),
      }),
    status: (headers: Record<string, string>) => sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: { ...bearer(token), ...headers } }),
  };
  for (const [name, call] of Object.entries(calls)) {
    for (const headers of [{}, { BaseURI: 'elsewhere' }] as Record<string, string>[]) {
      const res = await call(headers);
      t.equal(res.status, 401, `${name} ${JSON.stringify(headers)}`);
      t.match(res.headers['www-authenticate'], /^Bearer /, name);
    }
  }
  t.equal((await calls.status({ baseuri: INSTANCE })).status, 200, 'the header name is case-insensitive, as in HTTP');
  t.equal((await calls.initiate({ BaseURI: INSTANCE })).status, 200, 'the refused calls used nothing up');
});

void t.test('the BaseURI header is recorded with the call', async (t) => {
  const sandbox = await startSandbox(t, { instance: INSTANCE });
  await sandbox.call('POST', authorize.path, {
    headers: { authorization: basic(), BaseURI: INSTANCE, ...FORM },
    body: authorize.body,
  });
  t.equal(sandbox.control.calls[0]?.headers.baseuri, INSTANCE);
});
