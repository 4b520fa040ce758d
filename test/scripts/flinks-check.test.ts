import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { createSandboxControl } from '../../sandbox/control.js';
import { buildSandbox } from '../../sandbox/sandbox-app.js';
import { runCommand } from '../support/process.js';

/* npm run flinks:check: one authorize → initiate → paymentrequests → status read against a real Flinks. */

const USERNAME = 'merchant-7f3a';
const PASSWORD = 'pw-7f3a-SECRET-value';
const BASIC = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
const FAKE_TOKEN = 'tok-0b9e-SECRET-access-token';
const SESSION_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

type Output = Awaited<ReturnType<typeof runCommand>>;

/** Runs the check as a child process with only `env`, and asserts that no secret reached its output. */
async function runCheck(t: Test, args: string[], env: Record<string, string>, secrets: string[] = []): Promise<Output> {
  const out = await runCommand(process.execPath, ['--import', 'tsx', 'scripts/flinks-check.ts', ...args], env);
  const printed = out.stdout + out.stderr;
  for (const secret of [PASSWORD, BASIC, FAKE_TOKEN, ...secrets]) t.notOk(printed.includes(secret), 'no secret is printed');
  t.notMatch(printed, /\b(Bearer|Basic) /i, 'no Authorization header is printed');
  return out;
}

const credentials = (baseUrl: string, extra: Record<string, string> = {}) => ({
  FLINKS_BASE_URL: baseUrl,
  FLINKS_USERNAME: USERNAME,
  FLINKS_PASSWORD: PASSWORD,
  ...extra,
});

const stepLines = (out: Output) => out.stdout.split('\n').filter((line) => /^(ok|FAIL) /.test(line));

t.test('passes all four steps against the simulator, listing field names and printing no secret', async (t) => {
  const control = createSandboxControl();
  const sandbox = buildSandbox({ credentials: { username: USERNAME, password: PASSWORD }, instance: 'flinks-sandbox', control });
  t.teardown(() => sandbox.close());
  const url = await sandbox.listen({ port: 0, host: '127.0.0.1' });

  const env = credentials(url, { FLINKS_INSTANCE: 'flinks-sandbox', FLINKS_APP_URL: 'https://pay.flinks-sandbox.example' });
  const first = await runCheck(t, [], env);
  const token = /^Bearer (\S+)$/.exec(control.calls.find((call) => call.step === 'initiate')?.headers.authorization ?? '')?.[1];
  t.ok(token, 'the simulator saw a bearer token');
  t.notOk((first.stdout + first.stderr).includes(token ?? FAKE_TOKEN), 'the access token is not printed');

  t.equal(first.code, 0, first.stdout + first.stderr);
  t.equal(first.stderr, '');
  const lines = stepLines(first);
  t.equal(lines.length, 4);
  t.match(lines[0], /^ok\s+authorize\s+200\s+\d+ ms\s+fields: access_token, token_type, expires_in$/);
  t.match(lines[1], /^ok\s+sessions\/initiate\s+200\s+\d+ ms\s+fields: sessionId, referenceId$/i);
  t.match(lines[2], /^ok\s+paymentrequests\s+200\s+\d+ ms\s+fields: requestId$/i);
  t.match(lines[3], /^ok\s+status read\s+200\s+\d+ ms\s+fields: .*status/i);
  t.match(
    first.stdout,
    /This creates a real payment request: 1\.00 CAD from "Flinks Check" <flinks-check@example\.com>, referenceId flinks-check-[0-9a-f-]{36}\./,
  );
  t.match(first.stdout, /\nLaunch URL: https:\/\/pay\.flinks-sandbox\.example\/app\/\?sessionId=[0-9a-f-]{36}\n/);
  t.match(first.stdout, /is Initiated\.\nAll four steps passed/);

  t.same(
    control.calls.map((call) => [call.step, call.statusCode, call.headers.baseuri]),
    [
      ['authorize', 200, 'flinks-sandbox'],
      ['initiate', 200, 'flinks-sandbox'],
      ['paymentrequest', 200, 'flinks-sandbox'],
      ['status', 200, 'flinks-sandbox'],
    ],
    'one call per step, each naming the instance',
  );
  t.match(control.calls[1]?.headers['user-agent'], /^flinks-pay-checkout-bff\/\d/, 'the user-agent the service sends');
  t.match(
    control.calls[1]?.rawBody,
    /^\{"amount":1\.00,"customerName":"Flinks Check","customerEmail":"flinks-check@example\.com","referenceId":"flinks-check-[0-9a-f-]{36}"\}$/,
  );
});

t.test('names the instance when the simulator refuses the BaseURI it was sent', async (t) => {
  const control = createSandboxControl();
  const sandbox = buildSandbox({ credentials: { username: USERNAME, password: PASSWORD }, instance: 'flinks-sandbox', control });
  t.teardown(() => sandbox.close());
  const url = await sandbox.listen({ port: 0, host: '127.0.0.1' });

  const out = await runCheck(t, [], credentials(url, { FLINKS_INSTANCE: 'other-sandbox' }));
  t.equal(out.code, 1);
  t.match(out.stderr, /Diagnosis: Flinks refused the instance at authorize \(HTTP 401\): check FLINKS_INSTANCE \(sent as the BaseURI header\)\./);
  t.equal(control.calls.length, 1, 'nothing after the failed authorize');
});

// ---- a fake Flinks that answers what each test scripts ------------------------------------------

type Step = 'authorize' | 'initiate' | 'paymentrequest' | 'status';
type Reply = { status: number; body: unknown } | { status: number; text: string } | 'hang';

interface Seen {
  step: Step;
  headers: IncomingHttpHeaders;
  body: string;
}

const GOOD: Readonly<Record<Step, Reply>> = {
  authorize: { status: 200, body: { access_token: FAKE_TOKEN, token_type: 'bearer', expires_in: 299 } },
  initiate: { status: 200, body: { sessionId: SESSION_ID, referenceId: 'order-42' } },
  paymentrequest: { status: 200, body: { requestId: 'req-42' } },
  status: { status: 200, body: { id: 'req-42', status: 'initiated', paymentReferenceNumber: 'FLK-1' } },
};

function stepOf(method: string | undefined, path: string): Step | undefined {
  if (method === 'POST' && path === '/api/v1/authorize') return 'authorize';
  if (method === 'POST' && path === '/api/v1/sessions/initiate') return 'initiate';
  if (method === 'POST' && path === '/api/v1/paymentrequests') return 'paymentrequest';
  if (method === 'GET' && path.startsWith('/api/v1/paymentrequests/')) return 'status';
  return undefined;
}

/** A plain HTTP server on 127.0.0.1 answering the four calls, well unless `replies` says otherwise. */
async function startFake(t: Test, replies: Partial<Record<Step, Reply>> = {}) {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const step = stepOf(request.method, request.url ?? '');
      if (!step) {
        response.writeHead(404).end();
        return;
      }
      seen.push({ step, headers: request.headers, body });
      const reply = replies[step] ?? GOOD[step];
      if (reply === 'hang') return;
      const isJson = 'body' in reply;
      const type = !isJson ? 'text/html' : reply.status < 300 ? 'application/json' : 'application/problem+json';
      response.writeHead(reply.status, { 'content-type': type }).end(isJson ? JSON.stringify(reply.body) : reply.text);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const count = (step: Step) => seen.filter((call) => call.step === step).length;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, count };
}

const problem = (status: number, extra: Record<string, unknown>) => ({
  status,
  body: { type: 'https://tools.ietf.org/html/rfc9110#section-15.5.2', title: 'Unauthorized', status, ...extra },
});

t.test('sends what the service sends, with the flags, and reuses the session token for the status read', async (t) => {
  const fake = await startFake(t);
  const args = ['--yes', '--amount', '2.5', '--name', ' Ada   Lovelace ', '--email', 'ada@example.test', '--reference', 'order-42'];
  const out = await runCheck(t, args, credentials(`${fake.url}/`));
  t.equal(out.code, 0, out.stdout + out.stderr);
  t.equal(stepLines(out).length, 4);
  t.match(out.stdout, /fields: id, status, paymentReferenceNumber\n/);
  t.match(
    out.stdout,
    /Launch URL: http:\/\/127\.0\.0\.1:\d+\/app\/\?sessionId=3f2504e0-4f89-41d3-9a0c-0305e82c3301\n/,
    'FLINKS_APP_URL defaults to the API base',
  );
  t.notMatch(out.stdout, /FLK-1/, 'no field value from Flinks is printed');
  t.same(
    fake.seen.map((call) => call.step),
    ['authorize', 'initiate', 'paymentrequest', 'status'],
  );
  t.equal(fake.seen[0]?.headers.authorization, `Basic ${BASIC}`);
  t.equal(fake.seen[0]?.body, 'grant_type=client_credentials');
  t.equal(fake.seen[1]?.body, '{"amount":2.50,"customerName":"Ada Lovelace","customerEmail":"ada@example.test","referenceId":"order-42"}');
  t.same(
    fake.seen.slice(1).map((call) => call.headers.authorization),
    Array(3).fill(`Bearer ${FAKE_TOKEN}`),
  );
  t.equal(fake.seen[1]?.headers.baseuri, undefined, 'no BaseURI header without FLINKS_INSTANCE');
});

// Each case is a process of its own, started against a fake of its own: a few run at once.
t.test('stops at the first failure with a diagnosis a merchant can act on', { jobs: 3 }, (t) => {
  const cases: { name: string; replies: Partial<Record<Step, Reply>>; env?: Record<string, string>; diagnosis: RegExp; calls: Step[]; hidden?: string[] }[] = [
    {
      name: 'bad credentials (401 at authorize)',
      replies: { authorize: problem(401, { detail: 'Invalid client credentials.' }) },
      diagnosis: /^Diagnosis: Flinks refused the credentials: check FLINKS_USERNAME \/ FLINKS_PASSWORD \(and that they belong to this instance\)\.$/m,
      calls: ['authorize'],
      hidden: ['Invalid client credentials'],
    },
    {
      name: 'bad credentials with an instance set (403 at authorize)',
      replies: { authorize: problem(403, {}) },
      env: { FLINKS_INSTANCE: 'acme' },
      diagnosis: /Flinks refused the credentials: .*; also check FLINKS_INSTANCE \(sent as the BaseURI header\)\./,
      calls: ['authorize'],
    },
    {
      name: 'wrong instance (401 naming BaseURI)',
      replies: { authorize: problem(401, { detail: 'The BaseURI header does not match this instance.' }) },
      env: { FLINKS_INSTANCE: 'acme-SANDBOX' },
      diagnosis: /Flinks refused the instance at authorize \(HTTP 401\): check FLINKS_INSTANCE \(sent as the BaseURI header\)\./,
      calls: ['authorize'],
      hidden: ['does not match'],
    },
    {
      name: '400 ValidationProblemDetails at initiate',
      replies: {
        initiate: {
          status: 400,
          body: {
            type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
            title: 'One or more validation errors occurred.',
            status: 400,
            errors: { CustomerName: ['The CustomerName field is required.'], '$.amount': ['Could not convert VALUE-1.00'] },
          },
        },
      },
      diagnosis: /Flinks refused sessions\/initiate as invalid \(HTTP 400\), naming the fields CustomerName, \$\.amount: check --name, --amount;/,
      calls: ['authorize', 'initiate'],
      hidden: ['is required', 'VALUE-1.00'],
    },
    {
      name: 'a 2xx body that does not parse',
      replies: { initiate: { status: 200, body: { session: 'SESSION-VALUE-9', ok: true } } },
      diagnosis: /Flinks answered in a shape this service does not understand: fields seen session, ok \(/,
      calls: ['authorize', 'initiate'],
      hidden: ['SESSION-VALUE-9'],
    },
    {
      name: 'a web page instead of the API',
      replies: { authorize: { status: 200, text: '<html>Welcome TOKENISH-PAGE</html>' } },
      diagnosis:
        /fields seen \(none\): the body is not a JSON object; at authorize this usually means FLINKS_BASE_URL does not look like a Flinks Pay API base/,
      calls: ['authorize'],
      hidden: ['TOKENISH-PAGE'],
    },
    {
      name: '404 at authorize',
      replies: { authorize: { status: 404, text: '' } },
      diagnosis: /FLINKS_BASE_URL does not look like a Flinks Pay API base: it has no authorize endpoint \(HTTP 404\)\./,
      calls: ['authorize'],
    },
    {
      name: 'no answer in time',
      replies: { authorize: 'hang' },
      env: { UPSTREAM_TIMEOUT_MS: '300' },
      diagnosis: /FLINKS_BASE_URL does not look like a Flinks Pay API base: 127\.0\.0\.1:\d+ gave no answer within 300 ms \(UPSTREAM_TIMEOUT_MS\)\./,
      calls: ['authorize'],
    },
    {
      name: 'a refused token at paymentrequests',
      replies: { paymentrequest: problem(401, {}) },
      env: { FLINKS_INSTANCE: 'acme' },
      diagnosis: /Flinks refused the access token it had just issued \(HTTP 401 at paymentrequests\): check FLINKS_INSTANCE/,
      calls: ['authorize', 'initiate', 'paymentrequest'],
    },
    {
      name: 'a 5xx at the status read',
      replies: { status: { status: 503, text: 'busy' } },
      diagnosis: /Flinks failed at status read \(HTTP 503\): retry later/,
      calls: ['authorize', 'initiate', 'paymentrequest', 'status'],
    },
  ];
  return Promise.all(
    cases.map((c) =>
      t.test(c.name, async (t) => {
        const fake = await startFake(t, c.replies);
        const out = await runCheck(t, ['--yes'], credentials(fake.url, c.env), c.hidden);
        t.equal(out.code, 1, out.stdout + out.stderr);
        t.match(out.stderr, c.diagnosis);
        t.same(
          fake.seen.map((call) => call.step),
          c.calls,
          'no step after the failed one',
        );
        const lines = stepLines(out);
        t.equal(lines.length, c.calls.length);
        t.match(lines.at(-1), /^FAIL /);
      }),
    ),
  );
});

t.test('an unreachable base URL is diagnosed as not a Flinks Pay API', async (t) => {
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const { port } = closed.address() as AddressInfo;
  closed.close();
  await once(closed, 'close');
  const out = await runCheck(t, ['--yes'], credentials(`http://127.0.0.1:${port}`));
  t.equal(out.code, 1);
  t.match(stepLines(out)[0], /^FAIL\s+authorize\s+---\s+\d+ ms\s+no HTTP answer$/);
  t.match(out.stderr, /FLINKS_BASE_URL does not look like a Flinks Pay API base: nothing accepts connections at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\./);
});

t.test('refuses a target that is not a sandbox without --yes, before any request', async (t) => {
  const fake = await startFake(t);
  const out = await runCheck(t, [], credentials(fake.url));
  t.equal(out.code, 2);
  t.match(out.stdout, /This creates a real payment request: 1\.00 CAD/);
  t.match(
    out.stderr,
    /Refusing to run without --yes: the target does not look like a sandbox \(neither FLINKS_INSTANCE nor the FLINKS_BASE_URL host contains "sandbox"\)/,
  );
  t.equal(fake.seen.length, 0, 'nothing reached Flinks');
});

// Each case is a process of its own: three at a time, as the diagnoses above.
t.test('bad usage or configuration exits 2 before any request', { jobs: 3 }, async (t) => {
  const fake = await startFake(t);
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['no FLINKS_BASE_URL', [], {}, /flinks:check checks a real Flinks Pay instance: set FLINKS_BASE_URL/],
    ['not an http URL', [], credentials('ftp://flinks.example'), /^Invalid configuration: FLINKS_BASE_URL: expected an http\(s\) URL\n$/],
    ['no password', [], { FLINKS_BASE_URL: fake.url, FLINKS_USERNAME: USERNAME }, /FLINKS_PASSWORD: required when FLINKS_BASE_URL is set/],
    ['another bad setting', [], credentials(fake.url, { UPSTREAM_TIMEOUT_MS: 'soon' }), /UPSTREAM_TIMEOUT_MS: expected a whole number/],
    ['three decimals', ['--yes', '--amount', '1.234'], credentials(fake.url), /--amount: "1.234" is not a positive CAD amount/],
    ['not an e-mail', ['--yes', '--email', 'nobody'], credentials(fake.url), /--email: /],
    ['a bad reference', ['--yes', '--reference', 'a/b'], credentials(fake.url), /--reference: expected 1-64 characters/],
    ['an unknown flag', ['--yes', '--colour', 'red'], credentials(fake.url), /Unknown option '--colour'/],
  ];
  await Promise.all(
    cases.map(([name, args, env, message]) =>
      t.test(name, async (t) => {
        const out = await runCheck(t, args, env);
        t.equal(out.code, 2, name);
        t.match(out.stderr, message, name);
      }),
    ),
  );
  t.equal(fake.seen.length, 0, 'nothing reached Flinks');
});
