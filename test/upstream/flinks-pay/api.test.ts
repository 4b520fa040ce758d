import { createServer, type IncomingMessage } from 'node:http';
import { inspect } from 'node:util';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { Headers, MockAgent } from 'undici';
import { UpstreamRejectedError, UpstreamTimeoutError } from '../../../src/errors/app-errors.js';
import { parseCadAmount, type CanonicalAmount } from '../../../src/money/cad-amount.js';
import { createFlinksPayApi, type AccessToken, type CallContext, type FlinksPayApiOptions, type SessionInput } from '../../../src/upstream/flinks-pay/api.js';
import { listenOnLoopback, until } from '../../support/net.js';

const ORIGIN = 'http://flinks.test';
const SESSION_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const SECRET_TOKEN = 'tok-SECRET-never-logged';

/** The parts of a request MockAgent hands a reply callback that the tests look at. */
interface CapturedRequest {
  headers?: unknown;
  body?: unknown;
}

/** A MockAgent that refuses real connections, a client wired to it, and a quiet call context. */
function setUp(t: Test, overrides: Partial<FlinksPayApiOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const client = createFlinksPayApi({
    baseUrl: `${ORIGIN}/`,
    credentials: { username: 'merchant', password: 's3cret:pass' },
    timeoutMs: 1000,
    connections: 1,
    userAgent: 'checkout-bff-test/1.0',
    dispatcher: agent,
    now: () => 1_000_000,
    ...overrides,
  });
  t.teardown(async () => {
    await client.close();
    await agent.close();
  });
  return { agent, upstream: agent.get(ORIGIN), client, ctx: callContext() };
}

function callContext(requestId = 'req-123'): CallContext {
  return { log: pino({ level: 'silent' }), requestId };
}

function token(value = 'tok-1'): AccessToken {
  return { value, expiresAt: 2_000_000 };
}

function cad(text: string): CanonicalAmount {
  const parsed = parseCadAmount(text);
  if (!parsed.ok) throw new Error(`fixture amount ${text} is invalid: ${parsed.problem}`);
  return parsed.amount;
}

function sessionInput(overrides: Partial<SessionInput> = {}): SessionInput {
  return {
    amount: cad('12.3'),
    customerName: 'Ada Lovelace',
    customerEmail: 'ada@example.test',
    referenceId: 'order-1',
    ...overrides,
  };
}

function authorizeReply(overrides: Record<string, unknown> = {}) {
  return { access_token: SECRET_TOKEN, token_type: 'Bearer', expires_in: 3600, ...overrides };
}

/** Header names lower-cased, whichever shape MockAgent hands the reply callback. */
function headersOf(request: CapturedRequest | undefined): Record<string, string> {
  const headers = request?.headers;
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (typeof headers !== 'object' || headers === null) return {};
  const entries = Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return Object.fromEntries(entries.map(([name, value]) => [name.toLowerCase(), value]));
}

function bodyOf(request: CapturedRequest | undefined): string | undefined {
  return typeof request?.body === 'string' ? request.body : undefined;
}

/** The error a call rejected with, checked to be of `type`. */
async function caught<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`expected ${type.name}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${type.name}, but the call succeeded`);
}

/** Everything an error would show in a log line, causes included. */
function everythingIn(error: Error): string {
  return `${error.message}\n${inspect(error, { depth: null })}\n${JSON.stringify(error)}`;
}

t.test('authorize sends Basic credentials and the client_credentials form, and dates expiry from now', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  let seen: CapturedRequest | undefined;
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply((opts) => {
    seen = opts;
    return { statusCode: 200, data: authorizeReply() };
  });

  const result = await client.authorize(ctx);

  t.same(result, { value: SECRET_TOKEN, expiresAt: 1_000_000 + 3600 * 1000 });
  const headers = headersOf(seen);
  t.equal(headers.authorization, `Basic ${Buffer.from('merchant:s3cret:pass').toString('base64')}`);
  t.equal(headers['content-type'], 'application/x-www-form-urlencoded');
  t.equal(bodyOf(seen), 'grant_type=client_credentials');
  agent.assertNoPendingInterceptors();
});

t.test('authorize accepts the token fields in any key casing', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, { Access_Token: 'tok-2', TOKEN_TYPE: 'bearer', Expires_In: 60 });

  t.same(await client.authorize(ctx), { value: 'tok-2', expiresAt: 1_000_000 + 60_000 });
  agent.assertNoPendingInterceptors();
});

t.test('every call sends the request id, a user-agent and no BaseURI header when no instance is set', async (t) => {
  const { agent, upstream, client } = setUp(t);
  let seen: CapturedRequest | undefined;
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply((opts) => {
    seen = opts;
    return { statusCode: 200, data: authorizeReply() };
  });

  await client.authorize(callContext('req-abc'));

  const headers = headersOf(seen);
  t.equal(headers['x-request-id'], 'req-abc');
  t.equal(headers['user-agent'], 'checkout-bff-test/1.0');
  t.notOk('baseuri' in headers, 'no BaseURI header without an instance');
  agent.assertNoPendingInterceptors();
});

t.test('initiateSession writes the canonical amount as an exact JSON number literal, first in the body', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  let seen: CapturedRequest | undefined;
  upstream.intercept({ path: '/api/v1/sessions/initiate', method: 'POST' }).reply((opts) => {
    seen = opts;
    return { statusCode: 200, data: { sessionId: SESSION_ID, referenceId: 'order-1' } };
  });

  const session = await client.initiateSession(ctx, token('tok-9'), sessionInput({ amount: cad('12.3') }));

  t.same(session, { sessionId: SESSION_ID });
  const body = bodyOf(seen);
  t.ok(body?.startsWith('{"amount":12.30,'), `body starts with the literal amount: ${String(body)}`);
  t.equal(body, '{"amount":12.30,"customerName":"Ada Lovelace","customerEmail":"ada@example.test","referenceId":"order-1"}');
  const headers = headersOf(seen);
  t.equal(headers.authorization, 'Bearer tok-9');
  t.equal(headers['content-type'], 'application/json');
  t.equal(headers['x-request-id'], 'req-123');
  t.equal(headers['user-agent'], 'checkout-bff-test/1.0');
  agent.assertNoPendingInterceptors();
});

t.test('initiateSession sends the instance as the BaseURI header when one is configured', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t, { instance: 'merchant-toolbox' });
  let seen: CapturedRequest | undefined;
  upstream.intercept({ path: '/api/v1/sessions/initiate', method: 'POST' }).reply((opts) => {
    seen = opts;
    return { statusCode: 200, data: { SessionId: SESSION_ID, ReferenceId: 'order-1' } };
  });

  await client.initiateSession(ctx, token(), sessionInput());

  t.equal(headersOf(seen).baseuri, 'merchant-toolbox');
  agent.assertNoPendingInterceptors();
});

t.test('initiateSession needs only the sessionId: an answer without the echoed referenceId, or with an odd one, still gives the session', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/sessions/initiate', method: 'POST' }).reply(200, { sessionId: SESSION_ID });
  upstream.intercept({ path: '/api/v1/sessions/initiate', method: 'POST' }).reply(200, { sessionId: SESSION_ID, referenceId: 'r'.repeat(300) });

  t.same(await client.initiateSession(ctx, token(), sessionInput()), { sessionId: SESSION_ID });
  t.same(await client.initiateSession(ctx, token(), sessionInput()), { sessionId: SESSION_ID });
  agent.assertNoPendingInterceptors();
});

t.test('createPaymentRequest posts the sessionId and returns the requestId', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  let seen: CapturedRequest | undefined;
  upstream.intercept({ path: '/api/v1/paymentrequests', method: 'POST' }).reply((opts) => {
    seen = opts;
    return { statusCode: 201, data: { RequestId: 'pr-42' } };
  });

  t.same(await client.createPaymentRequest(ctx, token(), SESSION_ID), { requestId: 'pr-42' });
  t.equal(bodyOf(seen), JSON.stringify({ sessionId: SESSION_ID }));
  agent.assertNoPendingInterceptors();
});

t.test('calls go under the path prefix of the base URL', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t, { baseUrl: () => `${ORIGIN}/sandbox/` });
  upstream.intercept({ path: '/sandbox/api/v1/authorize', method: 'POST' }).reply(200, authorizeReply());

  t.equal((await client.authorize(ctx)).value, SECRET_TOKEN);
  agent.assertNoPendingInterceptors();
});

t.test('a connection reset becomes an UpstreamRejectedError without an upstream status', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).replyWithError(new Error('socket hang up'));

  const error = await caught(client.authorize(ctx), UpstreamRejectedError);

  t.equal(error.step, 'authorize');
  t.equal(error.upstreamStatus, undefined);
  t.equal(error.status, 502);
  t.match(error.message, /^Flinks Pay could not be reached, or dropped the connection, during the authorization call\./, 'not "an unusable answer": none came');
  t.notMatch(error.message, /socket hang up/, 'the transport message stays in the cause');
  agent.assertNoPendingInterceptors();
});

t.test('a response larger than maxResponseBytes is rejected', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t, { maxResponseBytes: 1024 });
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, authorizeReply({ padding: 'x'.repeat(2048) }));

  const error = await caught(client.authorize(ctx), UpstreamRejectedError);

  t.equal(error.step, 'authorize');
  t.equal(error.upstreamStatus, 200);
  agent.assertNoPendingInterceptors();
});

t.test('a response exactly at maxResponseBytes is accepted', async (t) => {
  const body = JSON.stringify(authorizeReply());
  const { agent, upstream, client, ctx } = setUp(t, { maxResponseBytes: Buffer.byteLength(body) });
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, body);

  t.equal((await client.authorize(ctx)).value, SECRET_TOKEN);
  agent.assertNoPendingInterceptors();
});

t.test('a 302 redirect is not followed and is rejected with upstream status 302', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(302, '', { headers: { location: `${ORIGIN}/elsewhere` } });

  const error = await caught(client.authorize(ctx), UpstreamRejectedError);

  t.equal(error.upstreamStatus, 302);
  agent.assertNoPendingInterceptors();
});

t.test('an error status is rejected and its body is not carried on the error', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/sessions/initiate', method: 'POST' }).reply(500, { message: 'upstream-detail-500 for Ada Lovelace' });

  const error = await caught(client.initiateSession(ctx, token(), sessionInput()), UpstreamRejectedError);

  t.equal(error.step, 'initiate');
  t.equal(error.upstreamStatus, 500);
  t.notMatch(everythingIn(error), /upstream-detail-500|Lovelace/);
  agent.assertNoPendingInterceptors();
});

t.test('a body that is not JSON is rejected without quoting it', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, `<html>access_token=${SECRET_TOKEN}</html>`);

  const error = await caught(client.authorize(ctx), UpstreamRejectedError);

  t.equal(error.upstreamStatus, 200);
  t.notMatch(everythingIn(error), /SECRET|<html/);
  agent.assertNoPendingInterceptors();
});

t.test('a sessionId that is not a GUID is rejected without echoing the body', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/sessions/initiate', method: 'POST' }).reply(200, { sessionId: '../../x', referenceId: 'order-SECRET-ref' });

  const error = await caught(client.initiateSession(ctx, token(), sessionInput()), UpstreamRejectedError);

  t.equal(error.step, 'initiate');
  t.equal(error.upstreamStatus, 200);
  t.notMatch(everythingIn(error), /\.\.\/\.\.\/x|SECRET/);
  agent.assertNoPendingInterceptors();
});

t.test('a token type other than bearer is rejected without echoing the token', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, authorizeReply({ token_type: 'mac' }));

  const error = await caught(client.authorize(ctx), UpstreamRejectedError);

  t.equal(error.step, 'authorize');
  t.notMatch(everythingIn(error), /SECRET|"mac"/);
  agent.assertNoPendingInterceptors();
});

t.test('a token that a Bearer header could not carry (a space, a line break) is rejected without echoing it', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  for (const access_token of ['SECRET abc', 'SECRET\r\nx-evil: 1', '']) {
    upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, authorizeReply({ access_token }));
    const error = await caught(client.authorize(ctx), UpstreamRejectedError);
    t.equal(error.step, 'authorize');
    t.notMatch(everythingIn(error), /SECRET/);
  }
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, authorizeReply({ access_token: 'a1B2-c3._~+/9==' }));
  t.match(await client.authorize(ctx), { value: 'a1B2-c3._~+/9==' }, 'every b64token character is accepted');
  agent.assertNoPendingInterceptors();
});

t.test('a requestId unsafe for a URL path is rejected', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/paymentrequests', method: 'POST' }).reply(201, { requestId: '../admin' });

  const error = await caught(client.createPaymentRequest(ctx, token(), SESSION_ID), UpstreamRejectedError);

  t.equal(error.step, 'paymentrequest');
  agent.assertNoPendingInterceptors();
});

t.test('an upstream slower than timeoutMs becomes an UpstreamTimeoutError', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t, { timeoutMs: 100 });
  upstream.intercept({ path: '/api/v1/authorize', method: 'POST' }).reply(200, authorizeReply()).delay(5000);

  const started = performance.now();
  const error = await caught(client.authorize(ctx), UpstreamTimeoutError);

  t.equal(error.step, 'authorize');
  t.equal(error.status, 504);
  t.ok(performance.now() - started < 2000, 'gives up at the timeout, not when the upstream answers');
  agent.assertNoPendingInterceptors();
});

t.test('a call waiting for the one pooled connection fails at its own deadline, the wait included', async (t) => {
  // A real server that never answers: the first call holds the pool's only connection.
  const received: IncomingMessage[] = [];
  const port = await listenOnLoopback(
    t,
    createServer((request) => received.push(request)),
  );
  const client = createFlinksPayApi({
    baseUrl: `http://127.0.0.1:${port}/`,
    credentials: { username: 'merchant', password: 's3cret:pass' },
    timeoutMs: 1000,
    connections: 1,
    userAgent: 'checkout-bff-test/1.0',
  });
  t.teardown(() => client.close());
  const ctx = callContext();

  const first = caught(client.authorize(ctx), UpstreamTimeoutError);
  await until('the first call reaches the server and is held there', () => received.length === 1);
  const queuedAt = performance.now();
  const queued = await caught(client.authorize(ctx), UpstreamTimeoutError);
  const waited = performance.now() - queuedAt;

  t.equal(queued.step, 'authorize');
  t.ok(waited >= 990 && waited < 3000, `the queued call gave up after its own 1000 ms (${waited.toFixed(0)} ms)`);
  t.equal((await first).step, 'authorize');
});

t.test('getPaymentRequest answers undefined when Flinks answers 404', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/paymentrequests/pr-404', method: 'GET' }).reply(404, { message: 'not found' });

  t.equal(await client.getPaymentRequest(ctx, token(), 'pr-404'), undefined);
  agent.assertNoPendingInterceptors();
});

t.test('getPaymentRequest sends the bearer token, the request id and the user-agent', async (t) => {
  const { agent, upstream, client } = setUp(t);
  let seen: CapturedRequest | undefined;
  upstream.intercept({ path: '/api/v1/paymentrequests/pr-1', method: 'GET' }).reply((opts) => {
    seen = opts;
    return { statusCode: 200, data: { requestId: 'pr-1', status: 'Initiated' } };
  });

  await client.getPaymentRequest(callContext('req-status'), token('tok-7'), 'pr-1');

  const headers = headersOf(seen);
  t.equal(headers.authorization, 'Bearer tok-7');
  t.equal(headers['x-request-id'], 'req-status');
  t.equal(headers['user-agent'], 'checkout-bff-test/1.0');
  agent.assertNoPendingInterceptors();
});

t.test("getPaymentRequest reads GEFT's spelling Canceled as Cancelled, and refuses a status Flinks does not document", async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/paymentrequests/pr-8', method: 'GET' }).reply(200, { requestId: 'pr-8', status: 'Canceled' });
  t.match(await client.getPaymentRequest(ctx, token(), 'pr-8'), { status: 'Cancelled', requestId: 'pr-8' });
  upstream.intercept({ path: '/api/v1/paymentrequests/pr-9', method: 'GET' }).reply(200, { requestId: 'pr-9', status: 'Completed' });
  await t.rejects(client.getPaymentRequest(ctx, token(), 'pr-9'), { name: 'UpstreamRejectedError' });
  agent.assertNoPendingInterceptors();
});

t.test('getPaymentRequest parses the { id, STATUS, paymentReferenceNumber } variant case-insensitively', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/paymentrequests/pr-7', method: 'GET' }).reply(200, { id: 'pr-7', STATUS: 'settled', paymentReferenceNumber: 'PRN-1' });

  t.same(await client.getPaymentRequest(ctx, token(), 'pr-7'), {
    status: 'Settled',
    requestId: 'pr-7',
    referenceId: undefined,
  });
  agent.assertNoPendingInterceptors();
});

t.test('getPaymentRequest parses the { requestId, status, ReferenceId, PaymentLink } variant', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/paymentrequests/pr-8', method: 'GET' }).reply(200, {
    requestId: 'pr-8',
    status: 'PROCESSING',
    ReferenceId: 'order-8',
    PaymentLink: 'https://pay.example.test/app/?sessionId=x',
  });

  t.same(await client.getPaymentRequest(ctx, token(), 'pr-8'), {
    status: 'Processing',
    requestId: 'pr-8',
    referenceId: 'order-8',
  });
  agent.assertNoPendingInterceptors();
});

t.test('getPaymentRequest rejects a status outside the documented list', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/paymentrequests/pr-9', method: 'GET' }).reply(200, { id: 'pr-9', status: 'Pending' });

  const error = await caught(client.getPaymentRequest(ctx, token(), 'pr-9'), UpstreamRejectedError);

  t.equal(error.step, 'status');
  t.equal(error.upstreamStatus, 200);
  agent.assertNoPendingInterceptors();
});

t.test('getPaymentRequest rejects an answer about another payment request, and accepts its own id in any case', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  const asked = '3f2504e0-4f89-41d3-9a0c-0305e82c33aa';
  upstream.intercept({ path: `/api/v1/paymentrequests/${asked}`, method: 'GET' }).reply(200, { requestId: 'zzzz-other', status: 'Settled' });
  upstream.intercept({ path: `/api/v1/paymentrequests/${asked}`, method: 'GET' }).reply(200, { id: asked.toUpperCase(), status: 'Settled' });

  const error = await caught(client.getPaymentRequest(ctx, token(), asked), UpstreamRejectedError);
  t.equal(error.step, 'status');
  t.equal(error.upstreamStatus, 200);
  t.notMatch(everythingIn(error), /zzzz-other/, 'the other id is not carried on the error');

  t.equal((await client.getPaymentRequest(ctx, token(), asked))?.status, 'Settled');
  agent.assertNoPendingInterceptors();
});

t.test('an answer spelling one member twice, in two letter cases, is rejected when the two disagree, whichever comes last', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  const path = '/api/v1/paymentrequests/pr-11';
  upstream.intercept({ path, method: 'GET' }).reply(200, { requestId: 'pr-11', status: 'Initiated', Status: 'Settled' });
  upstream.intercept({ path, method: 'GET' }).reply(200, { requestId: 'pr-11', Status: 'Settled', status: 'Initiated' });
  upstream.intercept({ path, method: 'GET' }).reply(200, { RequestId: 'other', requestId: 'pr-11', status: 'Settled' });
  upstream.intercept({ path, method: 'GET' }).reply(200, { requestId: 'pr-11', status: 'Settled', Status: 'Settled' });

  for (const order of ['status, then Status', 'Status, then status', 'RequestId, then requestId']) {
    const error = await caught(client.getPaymentRequest(ctx, token(), 'pr-11'), UpstreamRejectedError);
    t.equal(error.upstreamStatus, 200, order);
  }
  t.match(await client.getPaymentRequest(ctx, token(), 'pr-11'), { status: 'Settled' }, 'two spellings that agree are one member');
  agent.assertNoPendingInterceptors();
});

t.test('getPaymentRequest ignores the fields it never reads, whatever they hold', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream
    .intercept({ path: '/api/v1/paymentrequests/pr-10', method: 'GET' })
    .reply(200, { requestId: 'pr-10', status: 'Accepted', ReferenceId: 'r'.repeat(300), PaymentLink: 42, paymentReferenceNumber: null });

  t.match(await client.getPaymentRequest(ctx, token(), 'pr-10'), { status: 'Accepted', requestId: 'pr-10' });
  agent.assertNoPendingInterceptors();
});

t.test('getPaymentRequest encodes the requestId into a single path segment', async (t) => {
  const { agent, upstream, client, ctx } = setUp(t);
  upstream.intercept({ path: '/api/v1/paymentrequests/a%2F..%2Fb', method: 'GET' }).reply(404, '');

  t.equal(await client.getPaymentRequest(ctx, token(), 'a/../b'), undefined);
  agent.assertNoPendingInterceptors();
});
