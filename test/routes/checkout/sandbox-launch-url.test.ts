import t, { type Test } from 'tap';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/config.js';
import { validCheckout } from '../../support/build.js';

/** The BFF in sandbox mode (no FLINKS_BASE_URL), listening on `host`, so its embedded sandbox answers. */
async function sandboxMode(t: Test, host: string, env: Record<string, string> = {}) {
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', TRUST_PROXY: 'true', ...env }));
  t.teardown(() => app.close());
  await app.listen({ port: 0, host });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return { app, port: address.port };
}

const HOSTILE_HEADERS = [{}, { host: 'evil.example' }, { host: 'evil.example:8443', 'x-forwarded-host': 'phish.example', 'x-forwarded-proto': 'https' }];

t.test('in sandbox mode the launchUrl points at the address this server listens on, whatever Host says', async (t) => {
  const { app, port } = await sandboxMode(t, '127.0.0.1');
  for (const headers of HOSTILE_HEADERS) {
    const res = await app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': 'application/json', ...headers }, payload: validCheckout() });
    t.equal(res.statusCode, 201, JSON.stringify(headers));
    t.match(res.json<{ launchUrl: string }>().launchUrl, new RegExp(`^http://127\\.0\\.0\\.1:${port}/sandbox/app/\\?sessionId=`), JSON.stringify(headers));
  }
});

t.test('listening on every interface, the sandbox launchUrl names localhost', async (t) => {
  const { app, port } = await sandboxMode(t, '0.0.0.0');
  const res = await app.inject({
    method: 'POST',
    url: '/checkout',
    headers: { 'content-type': 'application/json', host: 'evil.example' },
    payload: validCheckout(),
  });
  t.equal(res.statusCode, 201);
  t.match(res.json<{ launchUrl: string }>().launchUrl, new RegExp(`^http://localhost:${port}/sandbox/app/\\?sessionId=`));
});

t.test('in sandbox mode FLINKS_APP_URL, when set, is the launchUrl base', async (t) => {
  const { app } = await sandboxMode(t, '127.0.0.1', { FLINKS_APP_URL: 'https://sandbox.shop.example/flinks' });
  const res = await app.inject({
    method: 'POST',
    url: '/checkout',
    headers: { 'content-type': 'application/json', host: 'evil.example' },
    payload: validCheckout(),
  });
  t.equal(res.statusCode, 201);
  t.match(res.json<{ launchUrl: string }>().launchUrl, /^https:\/\/sandbox\.shop\.example\/flinks\/app\/\?sessionId=/);
});
