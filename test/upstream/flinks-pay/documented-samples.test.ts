import { pino } from 'pino';
import t, { type Test } from 'tap';
import { MockAgent } from 'undici';
import { customerNameOf } from '../../../src/checkout/create-checkout.js';
import { parseCadAmount, type CanonicalAmount } from '../../../src/money/cad-amount.js';
import { createFlinksPayApi, type CallContext } from '../../../src/upstream/flinks-pay/api.js';
import {
  AUTHORIZE_REQUEST_BODY,
  AUTHORIZE_RESPONSE,
  INITIATE_REQUEST,
  INITIATE_REQUEST_BODY,
  INITIATE_RESPONSE,
  PAYMENT_REQUEST_REQUEST,
  PAYMENT_REQUEST_RESPONSE,
  STATUS_RESPONSE_CURRENT,
  STATUS_RESPONSE_FAILED,
  STATUS_RESPONSE_LEGACY,
} from '../../fixtures/flinks-pay-v1.js';

/*
 * The client against the request and response samples Flinks documents (shared/flinks-pay-api.md),
 * the same fixtures the simulator is tested with: what goes on the wire must be the documented
 * body byte for byte, and every documented answer must parse.
 */

const ORIGIN = 'http://flinks.test';
const ctx: CallContext = { log: pino({ level: 'silent' }), requestId: 'req-doc' };
const token = { value: AUTHORIZE_RESPONSE.access_token, expiresAt: Number.MAX_SAFE_INTEGER };

function setUp(t: Test, options: { password?: string; authorizeStyle?: 'basic' | 'basic+form' } = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const api = createFlinksPayApi({
    baseUrl: ORIGIN,
    credentials: { username: 'merchant', password: options.password ?? 'secret' },
    ...(options.authorizeStyle ? { authorizeStyle: options.authorizeStyle } : {}),
    timeoutMs: 1000,
    connections: 1,
    userAgent: 'checkout-bff-test/1.0',
    dispatcher: agent,
  });
  t.teardown(async () => {
    await api.close();
    await agent.close();
  });
  return { agent, upstream: agent.get(ORIGIN), api };
}

function cad(text: string): CanonicalAmount {
  const parsed = parseCadAmount(text);
  if (!parsed.ok) throw new Error(`fixture amount ${text} is invalid`);
  return parsed.amount;
}

t.test('authorize sends the documented form body and reads the documented token answer', async (t) => {
  const { agent, upstream, api } = setUp(t);
  let body: unknown;
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply((request) => {
    body = request.body;
    return { statusCode: 200, data: AUTHORIZE_RESPONSE };
  });
  const issued = await api.authorize(ctx);
  t.equal(body, AUTHORIZE_REQUEST_BODY);
  t.equal(issued.value, AUTHORIZE_RESPONSE.access_token);
  agent.assertNoPendingInterceptors();
});

t.test('sessions/initiate sends exactly the documented v1 body: customerName, customerEmail, referenceId, amount', async (t) => {
  const { agent, upstream, api } = setUp(t);
  let body: unknown;
  upstream.intercept({ path: '/api/v1/sessions/initiate', method: 'POST' }).reply((request) => {
    body = request.body;
    return { statusCode: 200, data: INITIATE_RESPONSE };
  });
  const customerName = customerNameOf({ firstName: 'John', lastName: 'Smith', email: INITIATE_REQUEST.customerEmail });
  const session = await api.initiateSession(ctx, token, {
    amount: cad('250.00'),
    customerName,
    customerEmail: INITIATE_REQUEST.customerEmail,
    referenceId: INITIATE_REQUEST.referenceId,
  });
  t.equal(body, INITIATE_REQUEST_BODY, 'byte for byte the documented body');
  t.same(JSON.parse(String(body)), INITIATE_REQUEST);
  t.same(session, { sessionId: INITIATE_RESPONSE.sessionId }, 'the sessionId; the echoed referenceId is ours already');
  agent.assertNoPendingInterceptors();
});

t.test('the customer name is first [middle] last, joined by single spaces', (t) => {
  t.equal(customerNameOf({ firstName: 'John', lastName: 'Smith', email: 'j@example.com' }), 'John Smith');
  t.equal(customerNameOf({ firstName: 'Ada', middleName: 'King', lastName: 'Lovelace', email: 'a@example.com' }), 'Ada King Lovelace');
  t.end();
});

t.test('paymentrequests sends the documented body and reads the documented answer', async (t) => {
  const { agent, upstream, api } = setUp(t);
  let body: unknown;
  upstream.intercept({ path: '/api/v1/paymentrequests', method: 'POST' }).reply((request) => {
    body = request.body;
    return { statusCode: 200, data: PAYMENT_REQUEST_RESPONSE };
  });
  t.same(await api.createPaymentRequest(ctx, token, PAYMENT_REQUEST_REQUEST.sessionId), PAYMENT_REQUEST_RESPONSE);
  t.same(JSON.parse(String(body)), PAYMENT_REQUEST_REQUEST);
  agent.assertNoPendingInterceptors();
});

t.test('both documented status bodies parse, and statusDetails becomes the reason', async (t) => {
  const samples = [
    { sample: STATUS_RESPONSE_LEGACY, expected: { status: 'Initiated', requestId: STATUS_RESPONSE_LEGACY.requestId, referenceId: 'User1234' } },
    { sample: STATUS_RESPONSE_CURRENT, expected: { status: 'Processing', requestId: STATUS_RESPONSE_CURRENT.id } },
    {
      sample: STATUS_RESPONSE_FAILED,
      expected: { status: 'Failed', requestId: STATUS_RESPONSE_FAILED.requestId, reason: STATUS_RESPONSE_FAILED.statusDetails },
    },
  ];
  for (const { sample, expected } of samples) {
    const { agent, upstream, api } = setUp(t);
    upstream.intercept({ path: `/api/v1/paymentrequests/${expected.requestId}`, method: 'GET' }).reply(200, sample);
    const read = await api.getPaymentRequest(ctx, token, expected.requestId);
    t.match(read, expected, JSON.stringify(sample));
    if (!('statusDetails' in sample)) t.equal(read?.reason, undefined, 'no reason when Flinks gives none');
    agent.assertNoPendingInterceptors();
  }
});

t.test('a reason is one line of text: control characters never pass, and it is bounded', async (t) => {
  const { agent, upstream, api } = setUp(t);
  upstream
    .intercept({ path: `/api/v1/paymentrequests/${STATUS_RESPONSE_FAILED.requestId}`, method: 'GET' })
    .reply(200, { ...STATUS_RESPONSE_FAILED, statusDetails: `Name\r\nmismatch\u0000 ${'x'.repeat(2000)}` });
  const read = await api.getPaymentRequest(ctx, token, STATUS_RESPONSE_FAILED.requestId);
  t.match(read?.reason, /^Name mismatch x+$/);
  t.equal(read?.reason?.length, 500);
  agent.assertNoPendingInterceptors();
});

t.test('FLINKS_AUTHORIZE_STYLE=basic+form also sends the credentials as the v1 OpenAPI page lists them', async (t) => {
  const { agent, upstream, api } = setUp(t, { password: 's3cret&=', authorizeStyle: 'basic+form' });
  let seen: { body?: unknown; headers?: unknown } = {};
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply((request) => {
    seen = request;
    return { statusCode: 200, data: AUTHORIZE_RESPONSE };
  });
  await api.authorize(ctx);
  const form = new URLSearchParams(String(seen.body));
  t.same(Object.fromEntries(form), { grant_type: 'client_credentials', Username: 'merchant', Password: 's3cret&=' });
  t.match(JSON.stringify(seen.headers), /Basic bWVyY2hhbnQ6czNjcmV0Jj0=/, 'the Basic header is still sent');
  agent.assertNoPendingInterceptors();
});
