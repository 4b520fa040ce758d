import t from 'tap';
import { buildTestApp, captureLogs, postCheckout, startSandbox } from '../support/build.js';
import { freePort, until } from '../support/net.js';
import { startRedis } from '../support/redis.js';

const credentials = { username: 'merchant-user-7781', password: 'S3cret-Pa55word!' };
const shopper = { firstName: 'Jeanne', middleName: 'Odile', lastName: 'Tremblay-Zyx', email: 'jeanne.t@example.org' };

t.test('logs of a full checkout and status read are JSON, carry the request id, and hold no secret or personal data', async (t) => {
  const sandbox = await startSandbox(t, { credentials });
  const logs = captureLogs();
  const app = await buildTestApp(
    t,
    sandbox,
    { LOG_LEVEL: 'trace', FLINKS_USERNAME: credentials.username, FLINKS_PASSWORD: credentials.password },
    { logStream: logs.stream },
  );
  const created = await postCheckout(app, { amount: '10.00', customer: shopper }, { authorization: 'Bearer caller-secret-xyz' });
  t.equal(created.statusCode, 201);
  const { requestId } = created.json<{ requestId: string }>();
  sandbox.control.inject('status', { kind: 'status', status: 500 });
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  t.equal((await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).statusCode, 200);

  const tokens = sandbox.control.calls
    .map((call) => call.headers.authorization ?? '')
    .filter((header) => header.startsWith('Bearer '))
    .map((header) => header.slice('Bearer '.length));
  t.ok(tokens.length >= 3, 'tokens were issued');
  const secrets = [
    credentials.username,
    credentials.password,
    Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'),
    'caller-secret-xyz',
    ...tokens,
    shopper.firstName,
    shopper.middleName,
    shopper.lastName,
    shopper.email,
  ];
  const lines = logs.lines();
  t.ok(lines.length >= 8, `${lines.length} log lines`);
  for (const line of lines) t.type((JSON.parse(line) as { level?: unknown }).level, 'number', 'a JSON line');
  const leaks = lines.flatMap((line) => secrets.filter((secret) => line.includes(secret)).map((secret) => ({ secret, line })));
  t.same(leaks, [], 'no log line holds a credential, token or personal data');
  const upstreamLines = lines.filter((line) => line.includes('"upstream"'));
  for (const line of upstreamLines) t.match(line, /"requestId":"[^"]+"/, 'upstream lines carry the request id');
  t.ok(
    lines.some((line) => line.includes('"level":50') && line.includes('upstream-error')),
    'the 502 is logged at error',
  );
});

t.test('at info, a request writes one line when it ends, listing its Flinks calls; the arrival line is debug', async (t) => {
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const app = await buildTestApp(t, sandbox, { LOG_LEVEL: 'info' }, { logStream: logs.stream });
  const created = await postCheckout(app, { amount: '10.00', customer: shopper }, { 'x-request-id': 'access-line-1' });
  t.equal(created.statusCode, 201);
  const { requestId } = created.json<{ requestId: string }>();
  sandbox.control.inject('status', { kind: 'status', status: 500 });
  t.equal((await app.inject({ method: 'GET', url: `/checkout/${requestId}`, headers: { 'x-request-id': 'access-line-2' } })).statusCode, 502);

  interface Line {
    msg: string;
    level: number;
    requestId?: string;
    res?: { statusCode: number };
    req?: { method: string; url: string };
    upstream?: unknown;
  }
  const lines = logs.lines().map((line) => JSON.parse(line) as Line);
  const ofCheckout = lines.filter((line) => line.requestId === 'access-line-1');
  t.same(
    ofCheckout.map((line) => line.msg),
    ['request completed'],
    'one line for the whole checkout',
  );
  t.match(ofCheckout[0], {
    level: 30,
    req: { method: 'POST', url: '/checkout' },
    res: { statusCode: 201 },
    responseTime: Number,
    upstream: [
      { step: 'authorize', status: 200, durationMs: Number },
      { step: 'initiate', status: 200, durationMs: Number },
      { step: 'paymentrequest', status: 200, durationMs: Number },
    ],
  });
  const ofFailedRead = lines.filter((line) => line.requestId === 'access-line-2');
  t.ok(
    ofFailedRead.some((line) => line.msg === 'upstream call failed' && line.level === 40),
    'a failed upstream call is still logged at once, at warn',
  );
  t.ok(
    ofFailedRead.some((line) => line.level === 50),
    'the 502 at error',
  );
  t.match(ofFailedRead.at(-1), { msg: 'request completed', res: { statusCode: 502 } }, 'and the request its access line');
  t.match(
    ofFailedRead.at(-1)?.upstream,
    [
      { step: 'authorize', status: 200, durationMs: Number },
      { step: 'status', status: 500, durationMs: Number, outcome: 'rejected' },
    ],
    'which lists the failed call too',
  );
  t.notOk(
    lines.some((line) => line.msg === 'incoming request'),
    'no arrival lines at info',
  );
});

t.test('a 503 that turns work away is logged at warn, a failure of the request itself at error', async (t) => {
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const app = await buildTestApp(t, sandbox, { LOG_LEVEL: 'info', CIRCUIT_FAILURE_THRESHOLD: '1' }, { logStream: logs.stream });
  sandbox.control.inject('paymentrequest', { kind: 'status', status: 500 });
  t.equal((await postCheckout(app, { amount: '10.00', customer: shopper }, { 'x-request-id': 'failed-checkout' })).statusCode, 502);
  t.equal((await postCheckout(app, { amount: '10.00', customer: shopper }, { 'x-request-id': 'refused-checkout' })).statusCode, 503);
  const lines = logs.lines().map((line) => JSON.parse(line) as { level: number; requestId?: string; problem?: string });
  t.match(
    lines.find((line) => line.requestId === 'failed-checkout' && line.problem !== undefined),
    { level: 50, problem: 'upstream-error' },
  );
  t.match(
    lines.find((line) => line.requestId === 'refused-checkout' && line.problem !== undefined),
    { level: 40, problem: 'upstream-unavailable' },
  );
});

t.test(
  'query values, and items that are no name=value pair, are censored on the access line, whatever their name, but for the filters a route reads',
  async (t) => {
    const sandbox = await startSandbox(t);
    const logs = captureLogs();
    const app = await buildTestApp(t, sandbox, { LOG_LEVEL: 'debug' }, { logStream: logs.stream });
    await app.inject({ method: 'GET', url: '/checkout/some-id?access_token=query-secret-1&lang=fr', headers: { 'x-request-id': 'query-1' } });
    await app.inject({
      method: 'GET',
      url: '/health?Token=query-secret-2&api%5Fkey=query-secret-3&query-secret-10&&ref',
      headers: { 'x-request-id': 'query-2' },
    });
    await app.inject({ method: 'GET', url: '/health?bearer=query-secret-4;pwd=query-secret-5;lang=fr', headers: { 'x-request-id': 'query-3' } });
    await app.inject({ method: 'GET', url: '/checkout/other?pw=query-secret-6&t=query-secret-7&p=query-secret-8', headers: { 'x-request-id': 'query-4' } });
    await app.inject({
      method: 'GET',
      url: '/ops/checkouts?status=PENDING&referenceId=order-9&cursor=abc&x=query-secret-9',
      headers: { 'x-request-id': 'query-5' },
    });
    const lines = logs.lines();
    t.notOk(
      lines.some((line) => line.includes('query-secret')),
      'no line holds a value of a credential-like parameter',
    );
    const urls = lines
      .map((line) => JSON.parse(line) as { requestId?: string; req?: { url: string } })
      .filter((line) => line.req)
      .map((line) => [line.requestId, line.req?.url]);
    t.same(
      new Set(urls.map(([id, url]) => `${id ?? ''} ${url ?? ''}`)),
      new Set([
        'query-1 /checkout/some-id?access_token=[redacted]&lang=[redacted]',
        'query-2 /health?Token=[redacted]&api%5Fkey=[redacted]&[redacted]&&[redacted]',
        'query-3 /health?bearer=[redacted];pwd=[redacted];lang=[redacted]',
        'query-4 /checkout/other?pw=[redacted]&t=[redacted]&p=[redacted]',
        'query-5 /ops/checkouts?status=PENDING&referenceId=order-9&cursor=abc&x=[redacted]',
      ]),
    );
  },
);

t.test("members named like credentials in other spellings (header case, form fields) and Flinks' customerName are censored", async (t) => {
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const app = await buildTestApp(t, sandbox, { LOG_LEVEL: 'info' }, { logStream: logs.stream });
  const secrets = ['basic-secret-1', 'proxy-secret-2', 'cookie-secret-3', 'set-cookie-secret-4', 'form-user-5', 'form-password-6', 'Jeanne Odile Tremblay-Zyx'];
  app.log.info(
    {
      Authorization: secrets[0],
      headers: { 'Proxy-Authorization': secrets[1], Cookie: secrets[2], 'Set-Cookie': [secrets[3]], 'proxy-authorization': secrets[1] },
      form: { Username: secrets[4], Password: secrets[5] },
      session: { customerName: secrets[6], amount: 10 },
    },
    'probe',
  );
  const line = logs.lines().find((text) => text.includes('"msg":"probe"')) ?? '';
  t.match(line, /"amount":10/, 'the line is there, with what is not secret');
  t.same(
    secrets.filter((secret) => line.includes(secret)),
    [],
    'no secret in it',
  );
});

t.test('a Redis password never reaches the logs, not even when Redis refuses it', async (t) => {
  const port = await freePort();
  await startRedis(t, port, ['--requirepass', 'the-right-one']);
  const sandbox = await startSandbox(t);
  const logs = captureLogs();
  const app = await buildTestApp(
    t,
    sandbox,
    { REDIS_URL: `redis://:redis-secret-1@127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'logging-test:', LOG_LEVEL: 'info' },
    { logStream: logs.stream },
  );
  await app.ready();
  await until('Redis refusing the password is logged', () => logs.lines().some((line) => /WRONGPASS|invalid password/i.test(line)));
  const lines = logs.lines();
  t.notOk(
    lines.some((line) => line.includes('redis-secret-1')),
    'the password is in no line',
  );
  t.ok(
    lines.some((line) => line.includes('"command"')),
    'the refused command is still named',
  );
});
