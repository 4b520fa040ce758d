import Fastify, { type FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { embeddedSandbox } from '../../sandbox/mount.js';
import { helmetPlugin } from '../../src/plugins/external/helmet.js';
import type { SandboxPluginOptions } from '../../sandbox/sandbox-plugin.js';
import { basic, FORM, JSON_TYPE, sessionBody } from './helpers.js';

/*
 * The sandbox as the BFF mounts it under /sandbox (sandbox/mount.ts), in a host that sets the BFF's
 * security headers (helmet's) on every answer. How the BFF maps its environment (SANDBOX_STEP_MS,
 * SANDBOX_EXPIRY_MS, FLINKS_INSTANCE) onto these options is the BFF's own test's business.
 */

async function embedded(t: Test, options: Omit<SandboxPluginOptions, 'credentials'> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(helmetPlugin, { frameOrigins: [] });
  await embeddedSandbox(app, 3000).register({ now: () => clock.now, ...options });
  await app.ready();
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
  const status = async () => (await app.inject({ url: `${api}/paymentrequests/${requestId}`, headers })).json<{ status: string }>().status;
  return { sessionId, status };
}

void t.test('the embedded sandbox paces approvals by SANDBOX_STEP_MS and expires by SANDBOX_EXPIRY_MS', async (t) => {
  const { app, clock } = await embedded(t, { stepMs: 5000, expiryMs: 60_000 });
  const approved = await checkout(app);
  const idle = await checkout(app);
  const decision = await app.inject({
    method: 'POST',
    url: `/sandbox/app/api/sessions/${approved.sessionId}/decision`,
    headers: JSON_TYPE,
    payload: { decision: 'approve', institution: 'flinks-capital' },
  });
  t.same(decision.json(), { status: 'Accepted' });
  clock.now += 5000;
  t.equal(await approved.status(), 'Processed');
  clock.now += 55_000;
  t.equal(await idle.status(), 'Expired');
  t.equal(await approved.status(), 'Settled');
});

void t.test('under the BFF, the app page and its files keep the sandbox headers and stay frameable', async (t) => {
  const { app } = await embedded(t);
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

void t.test('under /sandbox, paths after the prefix match in any casing, the prefix itself stays the host route', async (t) => {
  const { app } = await embedded(t);
  const authorize = (url: string) =>
    app.inject({ method: 'POST', url, headers: { authorization: basic(), ...FORM }, payload: 'grant_type=client_credentials' });
  t.equal((await authorize('/sandbox/API/V1/Authorize')).statusCode, 200);
  t.equal((await authorize('/SANDBOX/api/v1/authorize')).statusCode, 404, 'the mount prefix is the host route');
  const { sessionId } = await checkout(app);
  t.equal((await app.inject({ url: `/sandbox/APP/?sessionId=${sessionId}` })).statusCode, 200, 'the app page too');
});
