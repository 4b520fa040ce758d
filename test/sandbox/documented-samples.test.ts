import t from 'tap';
import {
  AUTHORIZE_REQUEST_BODY,
  AUTHORIZE_RESPONSE,
  INITIATE_REQUEST,
  INITIATE_REQUEST_BODY,
  INITIATE_REQUEST_WITH_CLIENT_URIS,
  INITIATE_RESPONSE,
  PAYMENT_REQUEST_RESPONSE,
  STATUS_RESPONSE_CURRENT,
  STATUS_RESPONSE_FAILED,
  STATUS_RESPONSE_LEGACY,
} from '../fixtures/flinks-pay-v1.js';
import { mismatches } from './documented.js';
import { basic, bearer, FORM, JSON_TYPE, startSandbox, type Harness } from './helpers.js';

/*
 * The simulator against the samples of shared/flinks-pay-api.md (test/fixtures/flinks-pay-v1.ts):
 * it accepts every documented request as written and answers in the documented shapes. The BFF's
 * client is tested against the same fixtures, so the two meet at the documentation.
 */

async function authorizeWithSample(sandbox: Harness) {
  return sandbox.call('POST', '/api/v1/authorize', { headers: { authorization: basic(), ...FORM }, body: AUTHORIZE_REQUEST_BODY });
}

async function initiateWithSample(sandbox: Harness, token: string, body: string) {
  return sandbox.call('POST', '/api/v1/sessions/initiate', { headers: { ...bearer(token), ...JSON_TYPE }, body });
}

/** authorize → initiate → paymentrequests with the documented request samples. */
async function documentedFlow(sandbox: Harness) {
  const authorized = await authorizeWithSample(sandbox);
  const token = (authorized.json as { access_token: string }).access_token;
  const initiated = await initiateWithSample(sandbox, token, INITIATE_REQUEST_BODY);
  const { sessionId } = initiated.json as { sessionId: string };
  // PAYMENT_REQUEST_REQUEST with the sessionId this simulator issued.
  const created = await sandbox.call('POST', '/api/v1/paymentrequests', {
    headers: { ...bearer(token), ...JSON_TYPE },
    body: JSON.stringify({ sessionId }),
  });
  const { requestId } = created.json as { requestId: string };
  const status = () => sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: bearer(token) });
  return { authorized, initiated, created, status, requestId, sessionId };
}

void t.test('POST /authorize takes the documented form body and answers the documented token sample', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await authorizeWithSample(sandbox);
  t.equal(res.status, 200);
  t.match(res.contentType, /^application\/json/);
  t.same(mismatches(AUTHORIZE_RESPONSE, res.json), []);
  t.match(res.json, { token_type: AUTHORIZE_RESPONSE.token_type, expires_in: AUTHORIZE_RESPONSE.expires_in });
});

void t.test('POST /sessions/initiate takes the documented body (amount 250.00, customerName) and answers its sample', async (t) => {
  const sandbox = await startSandbox(t);
  const { initiated } = await documentedFlow(sandbox);
  t.equal(initiated.status, 200);
  t.same(mismatches(INITIATE_RESPONSE, initiated.json), []);
  t.match(initiated.json, { referenceId: INITIATE_RESPONSE.referenceId });
  t.match(sandbox.control.calls.find((call) => call.step === 'initiate')?.rawBody, '"amount":250.00,');
  for (const body of [INITIATE_REQUEST, INITIATE_REQUEST_WITH_CLIENT_URIS]) {
    const token = (await authorizeWithSample(sandbox).then((res) => res.json)) as { access_token: string };
    const res = await initiateWithSample(sandbox, token.access_token, JSON.stringify(body));
    t.equal(res.status, 200, Object.keys(body).join(','));
  }
});

void t.test('POST /paymentrequests takes the documented { sessionId } and answers { requestId }', async (t) => {
  const sandbox = await startSandbox(t);
  const { created } = await documentedFlow(sandbox);
  t.equal(created.status, 200);
  t.same(mismatches(PAYMENT_REQUEST_RESPONSE, created.json), []);
});

void t.test('GET /paymentrequests/:id answers the older documented sample by default', async (t) => {
  const sandbox = await startSandbox(t);
  const { status } = await documentedFlow(sandbox);
  const res = await status();
  t.equal(res.status, 200);
  t.same(mismatches(STATUS_RESPONSE_LEGACY, res.json), []);
});

void t.test('GET /paymentrequests/:id answers the later documented sample with statusShape current', async (t) => {
  const sandbox = await startSandbox(t, { statusShape: 'current' });
  const { status, sessionId } = await documentedFlow(sandbox);
  await sandbox.start(sessionId);
  const res = await status();
  t.same(mismatches(STATUS_RESPONSE_CURRENT, res.json), []);
  t.match(res.json, { status: STATUS_RESPONSE_CURRENT.status }, 'Processing, like the sample, while in the app');
});

void t.test('a Failed payment request answers the documented Failed shape, statusDetails included', async (t) => {
  const sandbox = await startSandbox(t);
  const authorized = await authorizeWithSample(sandbox);
  const token = (authorized.json as { access_token: string }).access_token;
  // The name trigger "Failed" ends an approval in Failed (sandbox/README.md "Test triggers").
  const body = INITIATE_REQUEST_BODY.replace('"John Smith"', '"John Failed"');
  const { sessionId } = (await initiateWithSample(sandbox, token, body)).json as { sessionId: string };
  const created = await sandbox.call('POST', '/api/v1/paymentrequests', {
    headers: { ...bearer(token), ...JSON_TYPE },
    body: JSON.stringify({ sessionId }),
  });
  const { requestId } = created.json as { requestId: string };
  await sandbox.decide(sessionId, { decision: 'approve', institution: 'flinks-capital' });
  sandbox.clock.now += 1000;
  const res = await sandbox.call('GET', `/api/v1/paymentrequests/${requestId}`, { headers: bearer(token) });
  t.same(mismatches(STATUS_RESPONSE_FAILED, res.json), []);
  t.match(res.json, { status: 'Failed' });
});
