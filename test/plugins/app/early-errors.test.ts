import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { buildTestApp, captureLogs, setUp, startSandbox, validCheckout } from '../../support/build.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** From the first byte written until the server closed the socket. */
  closedAfterMs: number;
}

/**
 * Writes `request` over a bare TCP socket (then, with `trickle`, one more byte every 50 ms) and
 * reads until the server closes; after 5 s without a close this side gives up.
 */
function rawRequest(port: number, request: string, options: { trickle?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const giveUp = setTimeout(() => socket.destroy(), 5000);
    const started = Date.now();
    const chunks: Buffer[] = [];
    let trickle: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may close while a trickled byte is on its way.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(trickle);
      clearTimeout(giveUp);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
      if (!Number.isInteger(status)) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
        return;
      }
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status, headers, body, closedAfterMs: Date.now() - started });
    });
    socket.write(request);
    if (options.trickle) trickle = setInterval(() => socket.write('x'), 50);
  });
}

async function listening(t: Test, env: Record<string, string> = {}) {
  const { app } = await setUp(t, env);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return { app, port: address.port };
}

/** The API's security headers, which every answer carries, those written on the raw socket too. */
function assertSecurityHeaders(t: Test, headers: Record<string, string | string[] | undefined>): void {
  t.match(headers, {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'strict-transport-security': /^max-age=/,
    'cross-origin-resource-policy': 'same-origin',
  });
}

function assertProblem(t: Test, answer: RawAnswer, status: number, type: RegExp): void {
  t.equal(answer.status, status);
  t.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8', 'as Fastify writes it on every other answer');
  t.match(answer.headers['x-request-id'], UUID, 'a fresh request id');
  t.equal(answer.headers.connection, 'close');
  t.equal(answer.headers['cache-control'], 'no-store');
  assertSecurityHeaders(t, answer.headers);
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  t.match(problem, { type, status, title: String, detail: String, instance: String });
  t.equal(problem.requestId, answer.headers['x-request-id'], 'the body names the same request id');
  if (status === 400) t.match(problem, { errors: [{ path: String, message: String }] }, 'a 400 lists what was wrong');
}

t.test("an over-long requestId is a 400 problem+json with x-request-id, not the router's 414", async (t) => {
  const { app } = await setUp(t);
  for (const url of [`/checkout/${'a'.repeat(300)}`, `/checkout/${'a'.repeat(5000)}/events`]) {
    const res = await app.inject({ method: 'GET', url, headers: { 'x-request-id': 'caller-id-1' } });
    t.equal(res.statusCode, 400, url.slice(0, 20));
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.headers['x-request-id'], 'caller-id-1');
    t.equal(res.headers['cache-control'], 'no-store');
    t.match(res.json(), {
      type: /validation-failed$/,
      status: 400,
      requestId: 'caller-id-1',
      detail: /longer than any valid one/,
      errors: [{ path: 'path', message: /far longer than any valid one/ }],
    });
  }
});

t.test('a badly percent-encoded path is a 400 problem+json with x-request-id', async (t) => {
  const { app } = await setUp(t);
  for (const url of ['/checkout/%E0%A4%A', '/checkout/abc%zz/events', '/health%zz']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 400, url);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.headers['x-request-id'], UUID);
    t.match(res.json(), {
      type: /validation-failed$/,
      status: 400,
      requestId: res.headers['x-request-id'],
      instance: url,
      errors: [{ path: 'path', message: 'is not valid percent-encoding' }],
    });
  }
});

/** An answer's headers, less those that differ from one answer to the next or only a routed request gets (its rate limit). */
function sharedHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const perAnswer = new Set(['x-request-id', 'date', 'content-length', 'connection', 'keep-alive']);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !perAnswer.has(name) && !name.startsWith('x-ratelimit-')));
}

t.test('a path the router refuses carries the security and CORS headers of any other 400, so a page of an allowed origin can read it', async (t) => {
  const settings: Record<string, string>[] = [{ CORS_ORIGINS: 'https://shop.example' }, {}];
  for (const env of settings) {
    const { app } = await setUp(t, env);
    for (const origin of ['https://shop.example', 'https://elsewhere.example', undefined]) {
      const headers = origin === undefined ? {} : { origin };
      // A 400 the route itself answers (its parameter's validation), after every hook has run.
      const routed = await app.inject({ url: '/checkout/a_b', headers });
      t.equal(routed.statusCode, 400);
      for (const url of ['/checkout/%zz', `/checkout/${'a'.repeat(300)}/events`]) {
        const refused = await app.inject({ url, headers });
        const label = `${url.slice(0, 14)}, CORS_ORIGINS ${env.CORS_ORIGINS ?? 'unset'}, origin ${origin ?? 'none'}`;
        t.equal(refused.statusCode, 400, label);
        t.same(sharedHeaders(refused.headers), sharedHeaders(routed.headers), label);
        t.equal(
          refused.headers['access-control-allow-origin'],
          env.CORS_ORIGINS !== undefined && origin === env.CORS_ORIGINS ? origin : undefined,
          `${label}: readable by the allowed origin only`,
        );
        t.equal(refused.headers['x-content-type-options'], 'nosniff', label);
      }
    }
  }
});

t.test('malformed HTTP (duplicate Content-Length, CR in a header value, bad request line) gets problem+json and a closed connection', async (t) => {
  const { port } = await listening(t);
  const requests = {
    'duplicate Content-Length': 'POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    'a CR inside a header value': 'GET /health HTTP/1.1\r\nHost: a\r\nX-Note: one\rtwo\r\n\r\n',
    'a space inside the request target': 'GET /checkout/a b HTTP/1.1\r\nHost: a\r\n\r\n',
  };
  for (const [label, request] of Object.entries(requests)) {
    const answer = await rawRequest(port, request);
    t.test(label, (t) => {
      assertProblem(t, answer, 400, /malformed-request$/);
      t.end();
    });
  }
  const duplicate = await rawRequest(port, requests['duplicate Content-Length']);
  t.equal((JSON.parse(duplicate.body) as { instance: string }).instance, '/checkout', 'the path, when the request line was read');
});

t.test('a requestId longer than the HTTP header limit is a 400; headers over it a 431, both problem+json', async (t) => {
  const { port } = await listening(t);
  const longPath = await rawRequest(port, `GET /checkout/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
  assertProblem(t, longPath, 400, /validation-failed$/);
  t.match(JSON.parse(longPath.body), { detail: /path is far longer/ });
  const bigHeader = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
  assertProblem(t, bigHeader, 431, /headers-too-large$/);
  t.equal((JSON.parse(bigHeader.body) as { instance: string }).instance, '/health');
});

t.test('a refused request never puts its raw bytes (credentials) in the logs', async (t) => {
  const logs = captureLogs();
  const { app } = await setUp(t, { LOG_LEVEL: 'info' }, { logStream: logs.stream });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  const answer = await rawRequest(address.port, 'GET /health HTTP/1.1\r\nAuthorization: Bearer top-secret-token\r\nX-A: b\rc\r\n\r\n');
  t.equal(answer.status, 400);
  t.match(logs.lines().join('\n'), /refused a request the HTTP parser could not read/);
  t.notMatch(logs.lines().join('\n'), /top-secret-token/);
});

t.test('a badly encoded requestId over a real socket is a 400 problem+json too', async (t) => {
  const { port } = await listening(t);
  const answer = await rawRequest(port, 'GET /checkout/%E0%A4%A HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.equal(answer.status, 400);
  t.match(answer.headers['content-type'], /^application\/problem\+json/);
  t.match(answer.headers['x-request-id'], UUID);
});

t.test('a body trickled slower than REQUEST_TIMEOUT_MS is cut off with a 408 problem+json', async (t) => {
  const { port } = await listening(t, { REQUEST_TIMEOUT_MS: '300' });
  const head = 'POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 16384\r\n\r\n{"amount":';
  const answer = await rawRequest(port, head, { trickle: true });
  assertProblem(t, answer, 408, /request-timeout$/);
  t.ok(answer.closedAfterMs >= 300, `not before the timeout (${answer.closedAfterMs} ms)`);
  t.ok(answer.closedAfterMs < 1500, `soon after it (${answer.closedAfterMs} ms)`);
});

t.test('headers that never finish arriving are cut off with a 408 problem+json', async (t) => {
  const { port } = await listening(t, { REQUEST_TIMEOUT_MS: '300' });
  const answer = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: a\r\nX-Slow: ', { trickle: true });
  assertProblem(t, answer, 408, /request-timeout$/);
  t.ok(answer.closedAfterMs < 1500, `closed after ${answer.closedAfterMs} ms`);
});

t.test('a request answered before its body arrived, whose body then never comes, gets no second answer from the request timeout', async (t) => {
  const { port } = await listening(t, { REQUEST_TIMEOUT_MS: '300' });
  const unsupported = 'POST /checkout HTTP/1.1\r\nHost: a\r\nX-Request-Id: early-415\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc';
  const refused = await rawRequest(port, unsupported);
  t.equal(refused.status, 415);
  t.equal(refused.headers['x-request-id'], 'early-415');
  t.notMatch(refused.body, /HTTP\/1\.1/, 'one answer: no 408 after it');
  t.match(JSON.parse(refused.body), { status: 415, requestId: 'early-415' });
  t.ok(refused.closedAfterMs >= 300, `the connection is closed once the body is overdue (${refused.closedAfterMs} ms)`);

  const health = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab');
  t.equal(health.status, 200, 'a route that reads no body answers');
  t.notMatch(health.body, /HTTP\/1\.1/, 'once');
});

t.test('a checkout over a real socket keeps its connection: the next request on it is answered', async (t) => {
  const { port } = await listening(t);
  const body = JSON.stringify(validCheckout());
  const checkout = `POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const answer = await rawRequest(port, `${checkout}GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
  t.equal(answer.status, 201);
  t.not(answer.headers.connection, 'close');
  t.match(answer.body, /^\{"requestId":[^\n]*\}HTTP\/1\.1 200 OK\r\n/, 'then, on the same connection, the health check sent after it');
});

t.test('REQUEST_TIMEOUT_MS bounds how a request arrives, not how long its answer takes', async (t) => {
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, { REQUEST_TIMEOUT_MS: '300' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  sandbox.control.inject('initiate', { kind: 'delay', ms: 700 });
  const body = JSON.stringify(validCheckout());
  const request = `POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
  const answer = await rawRequest(address.port, request);
  t.equal(answer.status, 201, 'a checkout slower than the request timeout still completes');
  t.ok(answer.closedAfterMs >= 700);
});

t.test("an HTTP/1.1 request without a Host header is a 400 problem+json naming its request id, not Node's empty 400", async (t) => {
  const { port } = await listening(t);
  const fresh = await rawRequest(port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n');
  assertProblem(t, fresh, 400, /malformed-request$/);
  t.match(JSON.parse(fresh.body), { instance: '/health', errors: [{ path: 'host', message: /required/ }] });
  const named = await rawRequest(port, 'POST /checkout HTTP/1.1\r\nX-Request-Id: trace-42\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
  t.equal(named.status, 400);
  t.equal(named.headers['x-request-id'], 'trace-42', "the caller's request id");
  t.match(JSON.parse(named.body), { type: /malformed-request$/, requestId: 'trace-42', instance: '/checkout' });
  const withHost = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.equal(withHost.status, 200, 'with a Host header the same request answers');
  const http10 = await rawRequest(port, 'GET /health HTTP/1.0\r\n\r\n');
  t.equal(http10.status, 200, 'HTTP/1.0 needs no Host header');
});

t.test('several Host headers or an invalid one are a 400 problem+json too (RFC 9112 §3.2); an empty one, a name, an address with a port are not', async (t) => {
  const { port } = await listening(t);
  const health = (hostLines: string) => rawRequest(port, `GET /health HTTP/1.1\r\n${hostLines}Connection: close\r\n\r\n`);
  const twice = await health('Host: a\r\nHost: b\r\n');
  assertProblem(t, twice, 400, /malformed-request$/);
  t.match(JSON.parse(twice.body), { instance: '/health', errors: [{ path: 'host', message: 'is sent more than once' }] });
  const invalid = await health('Host: a b/c\r\n');
  assertProblem(t, invalid, 400, /malformed-request$/);
  t.match(JSON.parse(invalid.body), { errors: [{ path: 'host', message: 'is not a valid host' }] });
  for (const host of ['', 'shop.example:8443', '127.0.0.1:3000', '[::1]:3000', 'xn--bcher-kva.example']) {
    t.equal((await health(`Host: ${host}\r\n`)).status, 200, `Host: ${host}`);
  }
});

t.test("a refused request keeps the caller's sane X-Request-Id, and a 408 for a late body names its path", async (t) => {
  const { port } = await listening(t, { REQUEST_TIMEOUT_MS: '300' });
  const badHeader = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: a\r\nX-Request-Id: trace-123\r\nX-Note: one\rtwo\r\n\r\n');
  t.equal(badHeader.status, 400);
  t.equal(badHeader.headers['x-request-id'], 'trace-123');
  t.equal((JSON.parse(badHeader.body) as { requestId: string }).requestId, 'trace-123');
  const insane = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: a\r\nX-Request-Id: has space\r\nX-Note: one\rtwo\r\n\r\n');
  t.match(insane.headers['x-request-id'], UUID, 'an id that is not sane is replaced');
  const head = 'POST /checkout HTTP/1.1\r\nHost: a\r\nX-Request-Id: slow-1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"amount":';
  const late = await rawRequest(port, head, { trickle: true });
  t.equal(late.status, 408);
  t.equal(late.headers['x-request-id'], 'slow-1');
  t.match(JSON.parse(late.body), { type: /request-timeout$/, requestId: 'slow-1', instance: '/checkout' });
});

t.test('an Expect header other than 100-continue is a 417 problem+json, CONNECT a 501, never a bare answer or a dropped socket', async (t) => {
  const { port } = await listening(t);
  const expectation = await rawRequest(port, 'GET /health HTTP/1.1\r\nHost: a\r\nExpect: bogus\r\nX-Request-Id: caller-7\r\n\r\n');
  t.equal(expectation.status, 417);
  t.match(expectation.headers['content-type'], /^application\/problem\+json/);
  t.equal(expectation.headers['x-request-id'], 'caller-7', "the caller's sane request id");
  t.equal(expectation.headers['cache-control'], 'no-store');
  assertSecurityHeaders(t, expectation.headers);
  t.match(JSON.parse(expectation.body), { type: /expectation-failed$/, status: 417, instance: '/health', requestId: 'caller-7', detail: /100-continue/ });

  const connect = await rawRequest(port, 'CONNECT flinks.example:443 HTTP/1.1\r\nHost: flinks.example:443\r\n\r\n');
  assertProblem(t, connect, 501, /method-not-implemented$/);
  t.match(JSON.parse(connect.body), { instance: '/', detail: /not a proxy/ });
});

t.test('a client error a plugin answers with a status other than 400 keeps its status and is not called a validation failure', async (t) => {
  const { app } = await setUp(t);
  const res = await app.inject({ url: '/docs/static/%00' });
  t.equal(res.statusCode, 403);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.json(), { type: /request-refused$/, title: 'Request refused', status: 403 });
  t.notOk('errors' in res.json(), 'only a 400 lists fields');
});

t.test('a path the router refuses gets its access line and is counted like any answer', async (t) => {
  const logs = captureLogs();
  const { app } = await setUp(t, { LOG_LEVEL: 'info' }, { logStream: logs.stream });
  const counted = async () => {
    const text = (await app.inject({ url: '/metrics' })).body;
    return Number(/^http_request_duration_seconds_count\{[^}]*route="unmatched"[^}]*status_code="400"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };
  const before = await counted();
  for (const url of ['/checkout/%ZZ1', `/checkout/${'a'.repeat(300)}`]) {
    const res = await app.inject({ url, headers: { 'x-request-id': `refused-${url.length}` } });
    t.equal(res.statusCode, 400, url.slice(0, 20));
    const line = logs
      .lines()
      .map((text) => JSON.parse(text) as { requestId?: string; msg?: string; res?: { statusCode?: number } })
      .find((entry) => entry.requestId === `refused-${url.length}`);
    t.match(line, { msg: 'request completed', res: { statusCode: 400 } }, `${url.slice(0, 20)}: an access line under its request id`);
  }
  t.equal(await counted(), before + 2, 'both counted, under the route "unmatched"');
});
