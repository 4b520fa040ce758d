import t from 'tap';
import { request } from 'undici';
import { runToExit, startProcess } from '../support/process.js';
import { basic, FORM } from './helpers.js';

/*
 * `npm run sandbox` (sandbox/standalone.ts) as a process: its own environment schema, its start-up
 * line, and a graceful exit on SIGTERM.
 */

const ENTRY = 'sandbox/standalone.ts';
const LISTENING = /sandbox listening at (http:\/\/[^"\s]+)/;

async function authorize(url: string, headers: Record<string, string> = {}) {
  const res = await request(`${url}/api/v1/authorize`, {
    method: 'POST',
    headers: { authorization: basic(), ...FORM, ...headers },
    body: 'grant_type=client_credentials',
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

void t.test('npm run sandbox validates the same variables', async (t) => {
  const bad = await runToExit(ENTRY, { SANDBOX_PORT: '0', SANDBOX_STEP_MS: 'fast' });
  t.not(bad.code, 0);
  t.match(bad.stderr, /Invalid sandbox environment: SANDBOX_STEP_MS: expected a whole number/);
  const bounds = await runToExit(ENTRY, { SANDBOX_PORT: '0', SANDBOX_EXPIRY_MS: '999', SANDBOX_STATUS_SHAPE: 'newest' });
  t.equal(bounds.code, 1);
  t.match(bounds.stderr, /SANDBOX_EXPIRY_MS: expected a whole number from 1000 to 86400000/);
  t.match(bounds.stderr, /SANDBOX_STATUS_SHAPE/);
});

void t.test('npm run sandbox prints where it listens, answers there and exits 0 on SIGTERM', async (t) => {
  const sandbox = await startProcess(t, ENTRY, { SANDBOX_PORT: '0' }, LISTENING);
  t.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'HOST defaults to 127.0.0.1');
  t.equal((await authorize(sandbox.url)).status, 200);
  sandbox.child.kill('SIGTERM');
  t.same(await sandbox.exited, { code: 0, signal: null });
  t.match(sandbox.output(), /closing Flinks Pay sandbox/);
});

void t.test('npm run sandbox takes the status shape and the instance from SANDBOX_STATUS_SHAPE and SANDBOX_INSTANCE', async (t) => {
  const env = { SANDBOX_PORT: '0', SANDBOX_STATUS_SHAPE: 'current', SANDBOX_INSTANCE: 'flinkspay-sandbox' };
  const sandbox = await startProcess(t, ENTRY, env, LISTENING);
  t.equal((await authorize(sandbox.url)).status, 401, 'BaseURI is required');
  const { json } = await authorize(sandbox.url, { BaseURI: 'flinkspay-sandbox' });
  const headers = { authorization: `Bearer ${String(json.access_token)}`, BaseURI: 'flinkspay-sandbox' };
  const api = `${sandbox.url}/api/v1`;
  const initiated = await request(`${api}/sessions/initiate`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: '{"amount":12.34,"customerName":"Jane Doe","customerEmail":"jane@example.com","referenceId":"r-1"}',
  });
  const { sessionId } = (await initiated.body.json()) as { sessionId: string };
  const created = await request(`${api}/paymentrequests`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ sessionId }),
  });
  const { requestId } = (await created.body.json()) as { requestId: string };
  const status = await request(`${api}/paymentrequests/${requestId}`, { headers });
  t.match(await status.body.json(), { id: requestId, status: 'Initiated', paymentReferenceNumber: /^FLK-\d{8}-\d{3}$/ });
  sandbox.child.kill('SIGTERM');
  t.same(await sandbox.exited, { code: 0, signal: null });
});
