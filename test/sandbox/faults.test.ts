import t from 'tap';
import type { SandboxStep } from '../../sandbox/control.js';
import { AUTHORIZE_RESPONSE, INITIATE_RESPONSE, PAYMENT_REQUEST_RESPONSE, STATUS_RESPONSE_LEGACY } from '../fixtures/flinks-pay-v1.js';
import { mismatches } from './documented.js';
import { basic, bearer, FORM, JSON_TYPE, sessionBody, startSandbox, type Harness } from './helpers.js';

/** One call per step, each with valid input, so any non-200 or odd body is the fault's doing. */
async function callStep(sandbox: Harness, step: SandboxStep, headersTimeout?: number) {
  const timeout = headersTimeout === undefined ? {} : { headersTimeout };
  switch (step) {
    case 'authorize':
      return sandbox.call('POST', '/api/v1/authorize', {
        headers: { authorization: basic(), ...FORM },
        body: 'grant_type=client_credentials',
        ...timeout,
      });
    case 'initiate':
      return sandbox.call('POST', '/api/v1/sessions/initiate', {
        headers: { ...bearer(await sandbox.authorize()), ...JSON_TYPE },
        body: JSON.stringify(sessionBody()),
        ...timeout,
      });
    case 'paymentrequest': {
      const token = await sandbox.authorize();
      const { sessionId } = (await sandbox.initiate(token)).json as { sessionId: string };
      return sandbox.call('POST', '/api/v1/paymentrequests', {
        headers: { ...bearer(token), ...JSON_TYPE },
        body: JSON.stringify({ sessionId }),
        ...timeout,
      });
    }
    case 'status': {
      const { token, requestId } = await sandbox.checkout();
      return sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: bearer(token), ...timeout });
    }
  }
}

/** The documented answer of each step (shared/flinks-pay-api.md §2), by sample. */
const SAMPLES: Record<SandboxStep, Record<string, unknown>> = {
  authorize: AUTHORIZE_RESPONSE,
  initiate: INITIATE_RESPONSE,
  paymentrequest: PAYMENT_REQUEST_RESPONSE,
  status: STATUS_RESPONSE_LEGACY,
};
const STEPS = Object.keys(SAMPLES) as SandboxStep[];

void t.test('a status fault answers with that status and a problem body, then handling is normal again', async (t) => {
  const sandbox = await startSandbox(t);
  for (const step of STEPS) {
    sandbox.control.inject(step, { kind: 'status', status: 503 });
    const faulted = await callStep(sandbox, step);
    t.equal(faulted.status, 503, step);
    t.match(faulted.contentType, /^application\/problem\+json/, step);
    t.match(faulted.json, { status: 503, detail: 'Injected fault.' }, step);
    const normal = await callStep(sandbox, step);
    t.equal(normal.status, 200, `${step} recovers`);
    t.same(mismatches(SAMPLES[step], normal.json), [], `${step} normal body has the documented shape`);
  }
});

void t.test('a status fault can carry its own body and content type', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('initiate', { kind: 'status', status: 400, body: '{"message":"nope"}' });
  const initiate = await callStep(sandbox, 'initiate');
  t.equal(initiate.status, 400);
  t.equal(initiate.text, '{"message":"nope"}');
  t.match(initiate.contentType, /^application\/json/);
  sandbox.control.inject('authorize', { kind: 'status', status: 502, body: 'Bad gateway', contentType: 'text/plain' });
  const authorize = await callStep(sandbox, 'authorize');
  t.equal(authorize.status, 502);
  t.equal(authorize.text, 'Bad gateway');
  t.match(authorize.contentType, /^text\/plain/);
});

void t.test('inject applies to the next `times` calls of that step only', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('authorize', { kind: 'status', status: 500 }, 2);
  sandbox.control.inject('authorize', { kind: 'garbage' });
  const statuses = [];
  for (let i = 0; i < 4; i += 1) statuses.push((await callStep(sandbox, 'authorize')).status);
  t.same(statuses, [500, 500, 200, 200]);
  t.equal(sandbox.control.count('authorize'), 4, 'faulted calls are recorded');
  t.equal(sandbox.control.calls[0]?.statusCode, 500);
  t.equal(sandbox.control.calls[0]?.rawBody, 'grant_type=client_credentials', 'with their raw body');
});

void t.test('a garbage fault answers 200 with a body that is not JSON', async (t) => {
  const sandbox = await startSandbox(t);
  for (const step of STEPS) {
    sandbox.control.inject(step, { kind: 'garbage' });
    const res = await callStep(sandbox, step);
    t.equal(res.status, 200, step);
    t.equal(res.text, '<html>oops', step);
    t.equal(res.json, undefined, step);
  }
});

void t.test('an invalid fault answers 200 JSON that does not have the documented shape', async (t) => {
  const sandbox = await startSandbox(t);
  for (const step of STEPS) {
    sandbox.control.inject(step, { kind: 'invalid' });
    const res = await callStep(sandbox, step);
    t.equal(res.status, 200, step);
    t.match(res.contentType, /^application\/json/, step);
    t.not(res.json, undefined, step);
    t.not(mismatches(SAMPLES[step], res.json).length, 0, `${step} body breaks the documented shape`);
    if (step === 'initiate') t.match(res.json, { sessionId: '../../evil' }, 'a path-traversal sessionId');
  }
});

void t.test('a hang fault never answers, so the client times out', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('status', { kind: 'hang' });
  await t.rejects(callStep(sandbox, 'status', 100), { code: 'UND_ERR_HEADERS_TIMEOUT' });
  t.equal(sandbox.control.count('status'), 1);
  t.equal(sandbox.control.calls.at(-1)?.statusCode, 0, 'no status: nothing was sent');
});

void t.test('a delay fault answers normally after the delay', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('authorize', { kind: 'delay', ms: 150 });
  const started = performance.now();
  const res = await callStep(sandbox, 'authorize');
  t.ok(performance.now() - started >= 140, 'took at least the delay');
  t.equal(res.status, 200);
  t.same(mismatches(AUTHORIZE_RESPONSE, res.json), []);
});
