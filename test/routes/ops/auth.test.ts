import { request } from 'node:http';
import t from 'tap';
import { ConfigError, loadConfig } from '../../../src/config/config.js';
import { createTokenMatcher } from '../../../src/plugins/app/ops-auth.js';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';
import { until } from '../../support/net.js';
import { auditLines, MODES, opsCall, setUpOps, TOKENS } from './support.js';

const OPS_PATHS = [
  ['GET', '/ops/checkouts'],
  ['GET', '/ops/checkouts/abc-123'],
  ['POST', '/ops/checkouts/abc-123/refresh'],
  ['POST', '/ops/checkouts/abc-123/redeliver'],
] as const;

t.test('without OPS_TOKENS every /ops path is a 404 problem, token or not', async (t) => {
  const { app } = await setUp(t);
  for (const [method, url] of OPS_PATHS) {
    const res = await opsCall(app, method, url);
    t.equal(res.statusCode, 404, `${method} ${url}`);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.equal(res.json<{ type: string }>().type, 'urn:problem-type:flinks-pay-bff:not-found');
  }
});

t.test('no token: 401 problem+json with a Bearer challenge, on every ops operation', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  for (const [method, url] of OPS_PATHS) {
    const res = await opsCall(app, method, url, null);
    t.equal(res.statusCode, 401, `${method} ${url}`);
    t.equal(res.headers['www-authenticate'], 'Bearer realm="ops"');
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(res.json(), { type: 'urn:problem-type:flinks-pay-bff:ops-unauthorized', title: 'Unauthorized', status: 401, instance: url.split('?')[0] });
    t.equal(res.headers['cache-control'], 'no-store');
  }
});

t.test('no token: 401 comes before anything about the request (a body that is empty, not JSON or no JSON at all, a bad id)', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  const sends = [
    { url: '/ops/checkouts/abc-123/refresh', headers: { 'content-type': 'application/json' }, payload: '' },
    { url: '/ops/checkouts/abc-123/refresh', headers: { 'content-type': 'application/json' }, payload: '{' },
    { url: '/ops/checkouts/abc-123/redeliver', headers: { 'content-type': 'text/plain' }, payload: 'hello' },
    { url: '/ops/checkouts/not%20an%20id/refresh', headers: {}, payload: undefined },
  ];
  for (const { url, headers, payload } of sends) {
    const res = await app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload }) });
    t.equal(res.statusCode, 401, `${headers['content-type'] ?? 'no body'} ${JSON.stringify(payload)} ${url}`);
    t.match(res.json(), { type: /ops-unauthorized$/ });
  }
});

t.test('a wrong token or a prefix of a real one: 401 invalid_token', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  for (const authorization of [`Bearer ${'x'.repeat(40)}`, `Bearer ${TOKENS[0].slice(0, -1)}`, `Bearer ${TOKENS[0]}x`, `Bearer ${TOKENS.join(',')}`]) {
    const res = await app.inject({ method: 'GET', url: '/ops/checkouts', headers: { authorization } });
    t.equal(res.statusCode, 401, authorization.slice(0, 12));
    t.equal(res.headers['www-authenticate'], 'Bearer realm="ops", error="invalid_token"');
    t.match(res.json(), { detail: 'The bearer token is not one of OPS_TOKENS.' });
  }
});

t.test('no bearer token sent (an empty header, "Bearer" alone, another scheme): 401 with no error code (RFC 6750 §3.1)', async (t) => {
  const { app } = await setUpOps(t, 'memory');
  for (const authorization of ['', 'Bearer', 'Bearer   ', `Basic ${Buffer.from(`ops:${TOKENS[0]}`).toString('base64')}`]) {
    const res = await app.inject({ method: 'GET', url: '/ops/checkouts', headers: { authorization } });
    t.equal(res.statusCode, 401, JSON.stringify(authorization.slice(0, 12)));
    t.equal(res.headers['www-authenticate'], 'Bearer realm="ops"', 'a challenge without error="invalid_token"');
    t.match(res.json(), { type: /ops-unauthorized$/, detail: /needs Authorization: Bearer/ });
  }
});

t.test('each of two tokens is accepted; the audit line names it by index, never by value', async (t) => {
  const { app, logs } = await setUpOps(t, 'memory');
  const { requestId } = (await postCheckout(app, validCheckout({ referenceId: 'order-1001' }))).json<{ requestId: string }>();
  t.equal((await opsCall(app, 'GET', '/ops/checkouts?referenceId=order-1001', TOKENS[0])).statusCode, 200);
  t.equal((await opsCall(app, 'GET', `/ops/checkouts/${requestId}`, TOKENS[1])).statusCode, 200);
  t.equal((await opsCall(app, 'GET', `/ops/checkouts/${requestId}`, 'not-a-token-not-a-token-not-a-token')).statusCode, 401);

  const audit = auditLines(logs);
  t.equal(audit.length, 3, 'one audit line per call');
  t.match(audit[0], { opsToken: 0, action: 'GET /ops/checkouts', referenceId: 'order-1001', statusCode: 200, msg: 'ops call' });
  t.match(audit[1], { opsToken: 1, action: 'GET /ops/checkouts/:requestId', checkout: requestId, statusCode: 200, msg: 'ops call' });
  t.match(audit[2], { opsToken: null, checkout: requestId, statusCode: 401, msg: 'ops call refused' });
  for (const line of audit) t.type(line.requestId, 'string', 'the HTTP request id travels with the line');
  const everything = logs().join('\n');
  for (const token of TOKENS) t.notOk(everything.includes(token), 'no token in any log line');
  t.notOk(everything.includes('not-a-token-not-a-token'), 'nor a wrong one');
});

t.test(
  'a refused call cannot write what it likes into the audit line: an overlong or repeated filter, or a checkout no requestId could be, is left out',
  async (t) => {
    const { app, logs } = await setUpOps(t, 'memory');
    const long = 'z'.repeat(3000);
    t.equal((await opsCall(app, 'GET', `/ops/checkouts?referenceId=${long}&status=Initiated&status=Settled`, 'wrong-token-wrong-token')).statusCode, 401);
    t.equal((await opsCall(app, 'GET', '/ops/checkouts?referenceId=order-7&status=Initiated', 'wrong-token-wrong-token')).statusCode, 401);
    const audit = auditLines(logs);
    t.equal(audit.length, 2);
    t.notOk('referenceId' in (audit[0] ?? {}) || 'status' in (audit[0] ?? {}), 'neither filter as sent');
    t.notOk(
      audit.some((line) => JSON.stringify(line).includes(long)),
      'the overlong value is in no audit line',
    );
    t.match(audit[1], { opsToken: null, referenceId: 'order-7', status: 'Initiated', msg: 'ops call refused' }, 'plausible filters are shown');
    const forged = encodeURIComponent('x" forged=1\nops call accepted');
    t.equal((await opsCall(app, 'GET', `/ops/checkouts/${forged}`, 'wrong-token-wrong-token')).statusCode, 401);
    t.equal((await opsCall(app, 'GET', '/ops/checkouts/a1b2-c3', 'wrong-token-wrong-token')).statusCode, 401);
    const [, , forgedLine, plausibleLine] = auditLines(logs);
    t.notOk('checkout' in (forgedLine ?? {}), 'a path segment that is no requestId is not shown');
    t.match(plausibleLine, { opsToken: null, checkout: 'a1b2-c3', msg: 'ops call refused' }, 'one that could be is');
  },
);

t.test('a call that reaches an ops operation gets an audit line, refused or not; one the router refuses gets the access line only', async (t) => {
  const { app, logs } = await setUpOps(t, 'memory');
  t.equal((await opsCall(app, 'GET', '/ops/checkouts?reference=order-1001')).statusCode, 400, 'a bad parameter');
  t.equal((await opsCall(app, 'POST', '/ops/checkouts/%ZZ/redeliver')).statusCode, 400, 'bad percent-encoding');
  t.equal((await opsCall(app, 'GET', '/ops/nothing-here')).statusCode, 404, 'an unknown ops path');
  const audit = auditLines(logs);
  t.equal(audit.length, 1);
  t.match(audit[0], { opsToken: 0, action: 'GET /ops/checkouts', statusCode: 400 });
  const accessLines = logs()
    .map((line) => JSON.parse(line) as { msg?: string; req?: { url?: string }; res?: { statusCode?: number } })
    .filter((line) => line.msg === 'request completed');
  t.same(
    accessLines.map((line) => [line.req?.url, line.res?.statusCode]),
    [
      ['/ops/checkouts?reference=[redacted]', 400],
      ['/ops/checkouts/%ZZ/redeliver', 400],
      ['/ops/nothing-here', 404],
    ],
    'every one has its access line',
  );
});

t.test("ops routes have a budget of their own: 600 calls per token and window, not the shoppers' RATE_LIMIT_MAX", async (t) => {
  const { app } = await setUpOps(t, 'memory', { env: { RATE_LIMIT_MAX: '3' } });
  const codes = new Map<number, number>();
  for (let i = 0; i < 600; i += 1) {
    const { statusCode } = await opsCall(app, 'GET', '/ops/checkouts');
    codes.set(statusCode, (codes.get(statusCode) ?? 0) + 1);
  }
  t.same([...codes], [[200, 600]], 'an operator paging quickly is not throttled like a shopper');
  const limited = await opsCall(app, 'GET', '/ops/checkouts');
  t.equal(limited.statusCode, 429, 'the 601st call');
  t.match(limited.headers['retry-after'], /^\d+$/);
  // The token's budget is spent, not the address's: a guess from the same address is still judged.
  t.equal((await opsCall(app, 'GET', '/ops/checkouts', 'guess-guess-guess-guess-guess-guess')).statusCode, 401);
});

t.test("guessing tokens spends the budget of its address, never an operator's, even from behind the same proxy", async (t) => {
  const { app } = await setUpOps(t, 'memory');
  const codes = new Map<number, number>();
  for (let i = 0; i < 601; i += 1) {
    const { statusCode } = await opsCall(app, 'GET', '/ops/checkouts', `guess-${i}-guess-guess-guess-guess`);
    codes.set(statusCode, (codes.get(statusCode) ?? 0) + 1);
  }
  t.same(
    [...codes],
    [
      [401, 600],
      [429, 1],
    ],
    '600 guesses are judged, the 601st is not',
  );
  const noToken = await app.inject({ method: 'GET', url: '/ops/checkouts' });
  t.equal(noToken.statusCode, 429, 'nor is a call without a token from that address');
  t.equal((await opsCall(app, 'GET', '/ops/checkouts', TOKENS[0])).statusCode, 200, 'the operator, from the same address, is not locked out');
});

for (const mode of MODES) {
  t.test(`${mode}: the ops budget is one for all ops operations, not one per operation`, async (t) => {
    const { app } = await setUpOps(t, mode, { env: { RATE_LIMIT_MAX: '3' } });
    // 150 calls of each of the four operations (answered 200, 404, 404 and 503) with one token.
    for (let i = 0; i < 150; i += 1) {
      for (const [method, url] of OPS_PATHS) {
        const res = await opsCall(app, method, url, TOKENS[0]);
        if (res.statusCode === 429) t.fail(`call ${String(i * 4)} (${method} ${url}) was refused`);
      }
    }
    for (const [method, url] of OPS_PATHS) {
      const res = await opsCall(app, method, url);
      t.equal(res.statusCode, 429, `${method} ${url}: past the 600 calls spent on all four`);
      t.match(res.headers['content-type'], /application\/problem\+json/);
    }
  });
}

t.test('the token matcher finds the index of an exact match only', (t) => {
  const match = createTokenMatcher(TOKENS);
  t.equal(match(TOKENS[0]), 0);
  t.equal(match(TOKENS[1]), 1);
  t.equal(match(''), undefined);
  t.equal(match(TOKENS[1].toUpperCase()), undefined);
  t.equal(createTokenMatcher([])('anything'), undefined);
  t.end();
});

t.test('OPS_TOKENS: comma-separated, each at least 32 characters; a bad one is named, never shown', (t) => {
  t.same(loadConfig({ OPS_TOKENS: ` ${TOKENS[0]} , ${TOKENS[1]} ` }).ops.tokens, [...TOKENS]);
  t.same(loadConfig({}).ops.tokens, []);
  t.same(loadConfig({ OPS_TOKENS: '' }).ops.tokens, []);
  const short = 'short-secret-value';
  let message = '';
  try {
    loadConfig({ OPS_TOKENS: `${TOKENS[0]},${short}` });
  } catch (error) {
    t.ok(error instanceof ConfigError);
    message = (error as Error).message;
  }
  t.match(message, /^Invalid configuration: OPS_TOKENS: expected comma-separated tokens of at least 32/);
  t.notOk(message.includes('\n'), 'one line');
  t.notOk(message.includes(short) || message.includes(TOKENS[0]), 'no value in the message');
  t.end();
});

t.test('a refresh whose caller leaves while Flinks is read is still audited, with the answer it would have had', async (t) => {
  const { app, sandbox, logs } = await setUpOps(t, 'memory');
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  sandbox.control.inject('status', { kind: 'delay', ms: 300 });
  const left = request(`${url}/ops/checkouts/${requestId}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS[0]}` } });
  left.on('error', () => undefined);
  left.end();
  await sandbox.control.waitForCall('status');
  left.destroy();
  await until('the audit line', () => auditLines(logs).length > 0);
  t.match(auditLines(logs), [{ opsToken: 0, action: 'POST /ops/checkouts/:requestId/refresh', checkout: requestId, statusCode: 200, msg: 'ops call' }]);
});
