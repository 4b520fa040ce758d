import type { FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { runToExit } from '../support/process.js';
import { basic, FORM, JSON_TYPE, sessionBody } from './helpers.js';

/*
 * The sandbox as the BFF mounts it under /sandbox (no FLINKS_BASE_URL): its settings come from
 * the BFF's environment, and its app page keeps its own headers under the BFF's helmet.
 */

async function embedded(t: Test, env: Record<string, string>) {
  const clock = { now: 1_700_000_000_000 };
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const app = await buildApp(config, { sandbox: { now: () => clock.now } });
  t.teardown(() => app.close());
  return { app, clock };
}

async function checkout(app: FastifyInstance) {
  const api = '/sandbox/api/v1';
  const authorized = await app.inject({
    method: 'POST',
    url: `${api}/authorize`,
    headers: { authorization: basic(), ...FORM },
    payload: 'grant_type=client_credentials',
  });
  const headers = { authorization: `Bearer ${authorized.json<{ access_token: string }>().access_token}`, ...JSON_TYPE };
  const initiated = await app.inject({ method: 'POST', url: `${api}/sessions/initiate`, headers, payload: sessionBody() });
  const { sessionId } = initiated.json<{ sessionId: string }>();
  const created = await app.inject({ method: 'POST', url: `${api}/paymentrequests`, headers, payload: { sessionId } });
  const { requestId } = created.json<{ requestId: string }>();
  const status = async () =>
    (await app.inject({ url: `${api}/paymentrequests/${requestId}`, headers })).json<{ status: string }>().status;
  return { sessionId, status };
}

void t.test('the config reads SANDBOX_STEP_MS and SANDBOX_EXPIRY_MS, with defaults and bounds', (t) => {
  t.same(loadConfig({}).sandbox, { stepMs: 1000, expiryMs: 900_000 });
  t.same(loadConfig({ SANDBOX_STEP_MS: '250', SANDBOX_EXPIRY_MS: '60000' }).sandbox, { stepMs: 250, expiryMs: 60_000 });
  t.throws(() => loadConfig({ SANDBOX_STEP_MS: '0' }), /SANDBOX_STEP_MS: expected a whole number/);
  t.throws(() => loadConfig({ SANDBOX_EXPIRY_MS: '1.5' }), /SANDBOX_EXPIRY_MS: expected a whole number/);
  t.throws(() => loadConfig({ SANDBOX_EXPIRY_MS: '86400001' }), /SANDBOX_EXPIRY_MS/);
  t.end();
});

void t.test('the embedded sandbox paces approvals by SANDBOX_STEP_MS and expires by SANDBOX_EXPIRY_MS', async (t) => {
  const { app, clock } = await embedded(t, { SANDBOX_STEP_MS: '5000', SANDBOX_EXPIRY_MS: '60000' });
  const approved = await checkout(app);
  const idle = await checkout(app);
  const decision = await app.inject({
    method: 'POST',
    url: `/sandbox/app/api/sessions/${approved.sessionId}/decision`,
    headers: JSON_TYPE,
    payload: { decision: 'approve', institution: 'flinks-capital' },
  });
  t.same(decision.json(), { status: 'Processing' });
  clock.now += 5000;
  t.equal(await approved.status(), 'Accepted');
  clock.now += 55_000;
  t.equal(await idle.status(), 'Expired');
  t.equal(await approved.status(), 'Settled');
});

void t.test('under the BFF, the app page and its files keep the sandbox headers and stay frameable', async (t) => {
  const { app } = await embedded(t, {});
  const { sessionId } = await checkout(app);
  const page = await app.inject({ url: `/sandbox/app/?sessionId=${sessionId}` });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-security-policy'], /^default-src 'none'; script-src 'self'; .*frame-ancestors \*$/);
  t.equal(page.headers['x-frame-options'], undefined, "helmet's SAMEORIGIN is dropped");
  t.equal(page.headers['cross-origin-opener-policy'], 'unsafe-none');
  for (const asset of ['app.js', 'app.css']) {
    t.equal((await app.inject({ url: `/sandbox/app/${asset}` })).statusCode, 200, asset);
  }
});

void t.test('npm run sandbox validates the same variables', async (t) => {
  const bad = await runToExit('sandbox/standalone.ts', { SANDBOX_PORT: '0', SANDBOX_STEP_MS: 'fast' });
  t.not(bad.code, 0);
  t.match(bad.stderr, /Invalid sandbox environment: SANDBOX_STEP_MS: expected a whole number/);
});
