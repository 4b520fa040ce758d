import t from 'tap';
import { basic, bearer, FORM, startSandbox } from './helpers.js';

const authorize = { path: '/api/v1/authorize', body: 'grant_type=client_credentials' };

void t.test('the BaseURI header is accepted on every call when no instance is configured', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.call('POST', authorize.path, {
    headers: { authorization: basic(), baseuri: 'anything', ...FORM },
    body: authorize.body,
  });
  t.equal(res.status, 200);
});

void t.test('with an instance configured, a matching or absent BaseURI passes and a different one is 401', async (t) => {
  const sandbox = await startSandbox(t, { instance: 'flinkspay-sandbox' });
  const send = (headers: Record<string, string>) =>
    sandbox.call('POST', authorize.path, { headers: { authorization: basic(), ...FORM, ...headers }, body: authorize.body });
  t.equal((await send({ BaseURI: 'flinkspay-sandbox' })).status, 200, 'matching');
  t.equal((await send({})).status, 200, 'absent');
  const wrong = await send({ BaseURI: 'flinkspay-production' });
  t.equal(wrong.status, 401, 'different');
  t.match(wrong.json, { detail: /BaseURI/ });

  const { token, requestId } = await sandbox.checkout();
  const status = await sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, {
    headers: { ...bearer(token), BaseURI: 'elsewhere' },
  });
  t.equal(status.status, 401, 'checked on bearer calls too');
  t.match(status.headers['www-authenticate'], /^Bearer /);
});

void t.test('the BaseURI header is recorded with the call', async (t) => {
  const sandbox = await startSandbox(t, { instance: 'flinkspay-sandbox' });
  await sandbox.call('POST', authorize.path, {
    headers: { authorization: basic(), BaseURI: 'flinkspay-sandbox', ...FORM },
    body: authorize.body,
  });
  t.equal(sandbox.control.calls[0]?.headers.baseuri, 'flinkspay-sandbox');
});
