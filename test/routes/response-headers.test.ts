import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { postCheckout, setUp, validCheckout } from '../support/build.js';
import { SIGNED_ENV, withIntent } from '../intents/support.js';

/*
 * The response headers bff-api.md promises are declared in the OpenAPI document, and each header
 * declared for a response is really sent with it.
 */

interface DeclaredHeader {
  required?: boolean;
}
interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, { $ref?: string }> }> }>>;
  components: { headers?: Record<string, DeclaredHeader> };
}

async function servedDocument(app: FastifyInstance): Promise<OpenApi> {
  return (await app.inject({ method: 'GET', url: '/docs/json' })).json();
}

/** The headers declared for one answer, by name, their references resolved. */
function declared(document: OpenApi, method: string, path: string, status: number): Record<string, DeclaredHeader> {
  const headers = document.paths[path]?.[method]?.responses[String(status)]?.headers ?? {};
  return Object.fromEntries(
    Object.entries(headers).map(([name, { $ref = '' }]) => [name, document.components.headers?.[$ref.replace('#/components/headers/', '')] ?? {}]),
  );
}

/** Every header the document declares for this answer is on it (an optional one only when `optionalToo`). */
function assertSendsDeclared(t: Test, document: OpenApi, route: [method: string, path: string], res: LightMyRequestResponse, optionalToo = false) {
  const [method, path] = route;
  const headers = declared(document, method, path, res.statusCode);
  t.ok(Object.keys(headers).length > 0, `${method.toUpperCase()} ${path} ${res.statusCode} declares headers`);
  for (const [name, header] of Object.entries(headers)) {
    if (header.required === true || optionalToo) {
      t.ok(res.headers[name.toLowerCase()], `${method.toUpperCase()} ${path} ${res.statusCode} sends ${name}`);
    }
  }
}

t.test('the document declares the response headers the contract promises', async (t) => {
  const { app } = await setUp(t);
  const document = await servedDocument(app);
  const names = (method: string, path: string, status: number) => Object.keys(declared(document, method, path, status));
  t.match(names('get', '/health', 200), ['x-request-id']);
  t.match(names('post', '/checkout', 201), ['x-request-id', 'Cache-Control', 'Location', 'Idempotent-Replayed']);
  t.equal(declared(document, 'post', '/checkout', 201)['Idempotent-Replayed']?.required, false, 'only on a replay');
  const limited = [
    ['post', '/checkout', 201],
    ['get', '/checkout/{requestId}', 200],
    ['get', '/checkout/{requestId}/events', 200],
    ['post', '/webhooks/flinks', 202],
    ['get', '/ops/checkouts', 200],
  ] as const;
  for (const [method, path, status] of limited) {
    t.equal(
      declared(document, method, path, status)['X-RateLimit-Remaining']?.required,
      false,
      `${method.toUpperCase()} ${path} declares the rate-limit counts`,
    );
  }
  t.notOk(names('get', '/health', 200).includes('X-RateLimit-Limit'), 'only where a limit applies');
  for (const status of [409, 429, 503]) t.ok(names('post', '/checkout', status).includes('Retry-After'), `POST /checkout ${status}`);
  t.ok(names('get', '/ready', 503).includes('Retry-After'), 'every 503');
  t.equal(declared(document, 'get', '/ready', 503)['Retry-After']?.required, true);
  const redelivery503 = declared(document, 'post', '/ops/checkouts/{requestId}/redeliver', 503)['Retry-After'];
  t.equal(redelivery503?.required, false, 'a redelivery 503 may be merchant-webhooks-off, which names no time');
  t.ok(names('get', '/checkout/{requestId}/events', 200).includes('Cache-Control'));
  t.ok(names('post', '/checkout', 401).includes('WWW-Authenticate'));
  t.ok(names('get', '/ops/checkouts', 401).includes('WWW-Authenticate'));
  t.notOk(names('post', '/webhooks/flinks', 401).includes('WWW-Authenticate'), 'that 401 sends no challenge');
  t.notOk(names('get', '/health', 200).includes('Cache-Control'));
  const refs = Object.values(document.paths).flatMap((operations) =>
    Object.values(operations).flatMap((operation) => Object.values(operation.responses).flatMap((response) => Object.values(response.headers ?? {}))),
  );
  for (const ref of new Set(refs.map((header) => header.$ref ?? 'no $ref'))) {
    t.type(document.components.headers?.[ref.replace('#/components/headers/', '')]?.required, 'boolean', `${ref} resolves`);
  }
});

t.test('POST /checkout and a status read send every header declared for them, a replay its marker too', async (t) => {
  const { app } = await setUp(t, { RATE_LIMIT_MAX: '2' });
  const document = await servedDocument(app);
  const key = { 'idempotency-key': 'headers-test-1' };
  const created = await postCheckout(app, validCheckout(), key);
  t.equal(created.statusCode, 201);
  assertSendsDeclared(t, document, ['post', '/checkout'], created);
  t.notOk(created.headers['idempotent-replayed'], 'a first answer is not marked');
  const replay = await postCheckout(app, validCheckout(), key);
  t.equal(replay.statusCode, 201);
  assertSendsDeclared(t, document, ['post', '/checkout'], replay, true);
  t.equal(replay.headers['idempotent-replayed'], 'true');

  const { requestId } = created.json<{ requestId: string }>();
  assertSendsDeclared(t, document, ['get', '/checkout/{requestId}'], await app.inject({ method: 'GET', url: `/checkout/${requestId}` }));
  const limited = await postCheckout(app, validCheckout({ referenceId: 'another' }));
  t.equal(limited.statusCode, 429);
  assertSendsDeclared(t, document, ['post', '/checkout'], limited);
});

t.test('the 401s that challenge and the 503 of /ready send every header declared for them', async (t) => {
  const { app } = await setUp(t, { ...SIGNED_ENV, OPS_TOKENS: 'ops-token-0123456789abcdefghijklmnopqrstuv' });
  const document = await servedDocument(app);
  const refused = await postCheckout(app, withIntent('not.a.jws'));
  t.equal(refused.statusCode, 401);
  assertSendsDeclared(t, document, ['post', '/checkout'], refused);
  const ops = await app.inject({ method: 'GET', url: '/ops/checkouts' });
  t.equal(ops.statusCode, 401);
  assertSendsDeclared(t, document, ['get', '/ops/checkouts'], ops);

  const unreachable = await buildApp(
    loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', FLINKS_BASE_URL: 'http://127.0.0.1:9', FLINKS_USERNAME: 'u', FLINKS_PASSWORD: 'p' }),
  );
  t.teardown(() => unreachable.close());
  const notReady = await unreachable.inject({ method: 'GET', url: '/ready' });
  t.equal(notReady.statusCode, 503);
  assertSendsDeclared(t, document, ['get', '/ready'], notReady);
});
