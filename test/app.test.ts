import { connect } from 'node:net';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { buildTestApp, captureLogs, postCheckout, setUp, startSandbox, validCheckout } from './support/build.js';

t.test('every response carries x-request-id, reusing a sane one from the caller', async (t) => {
  const { app, control } = await setUp(t);
  const given = await postCheckout(app, validCheckout(), { 'x-request-id': 'shop-abc.123' });
  t.equal(given.headers['x-request-id'], 'shop-abc.123');
  t.equal(control.calls[0]?.headers['x-request-id'], 'shop-abc.123');

  const insane = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a b\u0007<script>' } });
  t.match(insane.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an unsafe id is replaced');

  for (const url of ['/health', '/nope', '/checkout/bad%20id']) {
    const res = await app.inject({ method: 'GET', url });
    t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, url);
  }
});

t.test('an unknown path answers 404 problem+json and counts against the 404 limit', async (t) => {
  const { app } = await setUp(t, { STATUS_NOT_FOUND_LIMIT: '2' });
  const first = await app.inject({ method: 'GET', url: '/wp-admin?x=1' });
  t.equal(first.statusCode, 404);
  t.match(first.headers['content-type'], /^application\/problem\+json/);
  t.match(first.json(), { status: 404, title: 'Not found', instance: '/wp-admin', requestId: first.headers['x-request-id'] });
  await app.inject({ method: 'GET', url: '/admin' });
  const limited = await app.inject({ method: 'GET', url: '/.env' });
  t.equal(limited.statusCode, 429);
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  t.equal(limited.headers['cache-control'], 'no-store');
});

t.test('a method or path beside the checkout routes is a 404 with Cache-Control: no-store, like every checkout answer', async (t) => {
  const { app } = await setUp(t);
  for (const [method, url] of [
    ['GET', '/checkout'],
    ['PUT', '/checkout'],
    ['POST', '/checkout/abc'],
    ['GET', '/checkout/abc/'],
    ['GET', '/nope'],
  ] as const) {
    const res = await app.inject({ method, url });
    t.equal(res.statusCode, 404, `${method} ${url}`);
    t.equal(res.headers['cache-control'], 'no-store', `${method} ${url}: never kept by a cache`);
  }
});

t.test('POST /checkout answers 429 problem+json with Retry-After past RATE_LIMIT_MAX', async (t) => {
  const { app, control } = await setUp(t, { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1 minute' });
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
  control.reset();
  const limited = await postCheckout(app, validCheckout());
  t.equal(limited.statusCode, 429);
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.match(limited.json(), { status: 429, title: 'Too many requests', detail: /retry in \d+ s/ });
  t.equal(control.calls.length, 0, 'a limited request costs nothing upstream');
  const other = await postCheckout(app, validCheckout(), {});
  t.equal(other.statusCode, 429, 'the limit is per client, and this is the same client');
  const elsewhere = await app.inject({
    method: 'POST',
    url: '/checkout',
    remoteAddress: '10.1.2.3',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(validCheckout()),
  });
  t.equal(elsewhere.statusCode, 201, 'another client is not limited');
});

t.test('a client that resets its connection right after its request is no 500 and no error line', async (t) => {
  const logs = captureLogs();
  const { app } = await setUp(t, { LOG_LEVEL: 'warn' }, { logStream: logs.stream });
  const requestId = (await postCheckout(app, validCheckout())).json<{ requestId: string }>().requestId;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const sent = [
    `GET /checkout/${requestId} HTTP/1.1\r\nHost: bff\r\n\r\n`,
    'POST /checkout HTTP/1.1\r\nHost: bff\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
  ];
  // Node no longer knows the address of a connection reset before its request is handled.
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(sent[i % sent.length] ?? '');
        setImmediate(() => socket.resetAndDestroy());
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        resolve();
      });
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.notOk(/status_code="500"/.test(metrics), 'no 500 is counted: the runbook reads one as a bug');
  t.equal(logs.lines().filter((line) => line.includes('"level":50')).length, 0, 'no error line');
});

t.test('CORS: configured origins are allowed, others get no CORS headers', async (t) => {
  const { app } = await setUp(t, { CORS_ORIGINS: 'https://shop.example, https://m.shop.example' });
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/checkout',
    headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' },
  });
  t.equal(preflight.statusCode, 204);
  t.equal(preflight.headers['access-control-allow-origin'], 'https://shop.example');
  t.match(preflight.headers['access-control-allow-headers'], /idempotency-key/);

  const allowed = await postCheckout(app, validCheckout(), { origin: 'https://m.shop.example' });
  t.equal(allowed.headers['access-control-allow-origin'], 'https://m.shop.example');
  t.match(allowed.headers['access-control-expose-headers'], /location/);
  t.match(allowed.headers['access-control-expose-headers'], /idempotent-replayed/, 'a cross-origin client can tell a replay');
  t.match(allowed.headers['access-control-expose-headers'], /x-ratelimit-remaining/, 'and pace itself before a 429');

  const refused = await postCheckout(app, validCheckout(), { origin: 'https://evil.example' });
  t.equal(refused.headers['access-control-allow-origin'], undefined);
  const refusedPreflight = await app.inject({
    method: 'OPTIONS',
    url: '/checkout',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  t.equal(refusedPreflight.headers['access-control-allow-origin'], undefined);
});

t.test('CORS: an OPTIONS request that is not a whole preflight is a 400 problem+json, like every error', async (t) => {
  const { app, control } = await setUp(t, { CORS_ORIGINS: 'https://shop.example' });
  const cases: [string, Record<string, string>, string[]][] = [
    ['no Access-Control-Request-Method', { origin: 'https://shop.example' }, ['access-control-request-method']],
    ['no Origin', { 'access-control-request-method': 'POST' }, ['origin']],
    ['neither', {}, ['origin', 'access-control-request-method']],
  ];
  for (const [label, headers, missing] of cases) {
    for (const url of ['/checkout', '/checkout/some-id', '/health']) {
      const res = await app.inject({ method: 'OPTIONS', url, headers });
      t.equal(res.statusCode, 400, `${label}: ${url}`);
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${label}: ${url}`);
      t.match(res.json(), {
        type: /validation-failed$/,
        status: 400,
        instance: url,
        requestId: res.headers['x-request-id'],
        errors: missing.map((path) => ({ path })),
      });
    }
  }
  t.equal(control.calls.length, 0);
});

t.test('CORS is closed to every origin by default', async (t) => {
  const { app } = await setUp(t);
  const res = await postCheckout(app, validCheckout(), { origin: 'https://shop.example' });
  t.equal(res.headers['access-control-allow-origin'], undefined);
});

t.test('API answers carry the security headers an API needs, and only those', async (t) => {
  const { app } = await setUp(t);
  const answers = {
    '/health': await app.inject({ method: 'GET', url: '/health' }),
    'POST /checkout': await postCheckout(app, validCheckout()),
    '/checkout/{malformed id}': await app.inject({ method: 'GET', url: '/checkout/not-a-checkout' }),
    '/docs/json': await app.inject({ method: 'GET', url: '/docs/json' }),
    'an unknown path': await app.inject({ method: 'GET', url: '/no/such/path' }),
  };
  for (const [url, res] of Object.entries(answers)) {
    t.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", `${url}: nothing loads, never framed`);
    t.equal(res.headers['x-frame-options'], 'DENY', url);
    t.equal(res.headers['x-content-type-options'], 'nosniff', url);
    t.equal(res.headers['cross-origin-resource-policy'], 'same-origin', url);
    t.match(res.headers['strict-transport-security'], /^max-age=\d+; includeSubDomains$/, url);
    t.equal(res.headers['referrer-policy'], undefined, `${url}: no header meant for pages`);
    t.equal(res.headers['x-powered-by'], undefined, url);
  }
});

t.test("pages a browser renders carry helmet's full set of security headers", async (t) => {
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }));
  t.teardown(() => app.close());
  for (const url of ['/', '/demo/demo.js', '/docs']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    const csp = url === '/docs' ? /^default-src 'self';.*validator\.swagger\.io/ : /^default-src 'self';.*frame-src 'self' http:\/\/localhost:\*/;
    t.match(res.headers['content-security-policy'], csp, `${url}: the page's CSP (Swagger UI's own for /docs)`);
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', url);
    t.equal(res.headers['referrer-policy'], 'no-referrer', url);
    t.equal(res.headers['cross-origin-opener-policy'], 'same-origin-allow-popups', url);
    t.equal(res.headers['x-content-type-options'], 'nosniff', url);
  }
});

t.test('GET /health answers ok without calling upstream', async (t) => {
  const { app, control } = await setUp(t);
  const res = await app.inject({ method: 'GET', url: '/health' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok' });
  t.equal(control.calls.length, 0);
});

t.test('GET /ready answers 200 when Flinks accepts the credentials and 503 problem+json when it does not answer', async (t) => {
  const { app, sandbox, control } = await setUp(t);
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready' });
  t.same(
    control.calls.map((call) => call.step),
    ['authorize'],
    'one authorize proves the credentials; nothing is created',
  );

  await sandbox.app.close();
  const fresh = await buildTestApp(t, sandbox);
  const down = await fresh.inject({ method: 'GET', url: '/ready' });
  t.equal(down.statusCode, 503);
  t.match(down.headers['content-type'], /^application\/problem\+json/);
  t.match(down.json(), { status: 503, detail: /Not answering: Flinks Pay/ });
});

t.test('GET /ready probes authorize at most once a minute, and not at all after a checkout authorized', async (t) => {
  let clock = Date.now();
  const { app, control } = await setUp(t, {}, { now: () => clock });
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
  control.reset();
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  t.equal(control.count('authorize'), 0, "the checkout's authorize proved the credentials");
  clock += 61_000;
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  t.equal(control.count('authorize'), 1, 'a minute later one probe authorizes');
  clock += 30_000;
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  t.equal(control.count('authorize'), 1, 'and none again within the minute');
});

t.test('GET /ready names refused credentials as such, without showing them', async (t) => {
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, { FLINKS_USERNAME: 'merchant', FLINKS_PASSWORD: 'not-the-password' });
  const res = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { status: 503, detail: /refused the configured credentials: check FLINKS_USERNAME and FLINKS_PASSWORD/ });
  t.notMatch(res.body, /not-the-password|merchant/);
  t.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 503);
  t.equal(sandbox.control.count('authorize'), 1, 'a refused probe is not repeated on every probe');
});

t.test('Flinks without FLINKS_INSTANCE: the app says at start that no BaseURI header is sent', async (t) => {
  const remote = { LOG_LEVEL: 'warn', FLINKS_BASE_URL: 'http://127.0.0.1:9', FLINKS_USERNAME: 'merchant-8', FLINKS_PASSWORD: 'pw-8' };
  const logs = captureLogs();
  const app = await buildApp(loadConfig(remote), { logStream: logs.stream });
  t.teardown(() => app.close());
  t.match(
    logs.lines().find((line) => line.includes('FLINKS_INSTANCE')),
    /"level":40.*FLINKS_INSTANCE is not set: calls to Flinks go without the BaseURI header/,
  );

  const quiet = captureLogs();
  const named = await buildApp(loadConfig({ ...remote, FLINKS_INSTANCE: 'merchant-8-prod' }), { logStream: quiet.stream });
  t.teardown(() => named.close());
  t.notMatch(quiet.lines().join('\n'), /FLINKS_INSTANCE/, 'no warning with it');
});

t.test('Flinks credentials without FLINKS_BASE_URL: the app says at start that checkouts go to the built-in sandbox', async (t) => {
  const logs = captureLogs();
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'warn', FLINKS_USERNAME: 'merchant-9', FLINKS_PASSWORD: 'pw-ignored-9' }), { logStream: logs.stream });
  t.teardown(() => app.close());
  const warning = logs.lines().find((line) => line.includes('FLINKS_BASE_URL is not'));
  t.match(warning, /"level":40.*FLINKS_USERNAME \/ FLINKS_PASSWORD are set but FLINKS_BASE_URL is not: checkouts go to the built-in sandbox/);
  t.notMatch(logs.lines().join('\n'), /merchant-9|pw-ignored-9/, 'the values are not logged');

  const quiet = captureLogs();
  const plain = await buildApp(loadConfig({ LOG_LEVEL: 'warn' }), { logStream: quiet.stream });
  t.teardown(() => plain.close());
  t.notMatch(quiet.lines().join('\n'), /FLINKS_BASE_URL is not/, 'no warning without them');
});
