import { readFile } from 'node:fs/promises';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { OPENAPI_FILE, renderOpenApi } from '../../src/plugins/external/swagger.js';
import { setUp } from '../support/build.js';
import { runModuleSource } from '../support/process.js';

t.test('the committed openapi/openapi.json equals the document the app serves at /docs/json', async (t) => {
  const { app } = await setUp(t);
  const committed = await readFile(OPENAPI_FILE, 'utf8');
  t.equal(await renderOpenApi(app), committed, 'run `npm run openapi` and commit the result');
  const served = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(served.statusCode, 200);
  t.same(served.json(), JSON.parse(committed));
});

t.test('the document is the same in embedded-sandbox mode (sandbox routes stay hidden)', async (t) => {
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }));
  t.teardown(() => app.close());
  t.equal(await renderOpenApi(app), await readFile(OPENAPI_FILE, 'utf8'));
});

t.test('the document declares every public route, its responses and problem+json errors', async (t) => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8')) as {
    openapi: string;
    paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, unknown> }> }>>;
    components: { schemas: Record<string, unknown> };
  };
  t.equal(document.openapi, '3.1.0');
  t.same(Object.keys(document.paths).sort(), [
    '/checkout',
    '/checkout/{requestId}',
    '/checkout/{requestId}/events',
    '/health',
    '/ops/checkouts',
    '/ops/checkouts/{requestId}',
    '/ops/checkouts/{requestId}/redeliver',
    '/ops/checkouts/{requestId}/refresh',
    '/ready',
    '/webhooks/flinks',
  ]);
  const post = document.paths['/checkout']?.post;
  t.same(Object.keys(post?.responses ?? {}).sort(), ['201', '400', '401', '409', '413', '415', '422', '429', '500', '502', '503', '504']);
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const types = Object.keys(response.content ?? {});
        const success = path.endsWith('/events') ? 'text/event-stream' : 'application/json';
        const expected = Number(status) >= 400 ? 'application/problem+json' : success;
        t.same(types, [expected], `${method.toUpperCase()} ${path} ${status}`);
      }
    }
  }
  for (const name of ['CheckoutRequestInput', 'CheckoutCreated', 'CheckoutStatus', 'Problem', 'FieldError']) {
    t.ok(document.components.schemas[name], `component ${name}`);
  }
  // Generated clients name their methods by it (and the browser client's types list `operations` by it).
  const operationIds = Object.values(document.paths).flatMap((operations) => Object.values(operations).map((operation) => operation.operationId));
  t.ok(
    operationIds.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id)),
    `every operation has a camelCase operationId: ${operationIds.join(', ')}`,
  );
  t.equal(new Set(operationIds).size, operationIds.length, 'each its own');
});

t.test('Swagger UI is served at /docs', async (t) => {
  const { app } = await setUp(t);
  const res = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /swagger/i);
});

// In a process of its own, so that what is loaded is this app's doing and nothing else's.
const LOADED_BEFORE_AND_AFTER_DOCS = `
import { createRequire } from 'node:module';
const { buildApp } = await import('./src/app.ts');
const { loadConfig } = await import('./src/config/config.ts');
const app = await buildApp(loadConfig({
  FLINKS_BASE_URL: 'http://127.0.0.1:9', FLINKS_USERNAME: 'u', FLINKS_PASSWORD: 'p', LOG_LEVEL: 'silent',
}));
await app.ready();
const cache = createRequire(import.meta.url).cache;
const loaded = () => ['@fastify/swagger/index.js', '@fastify/swagger-ui/index.js', '@fastify/static/index.js', 'light-my-request/index.js']
  .filter((name) => Object.keys(cache).some((path) => path.endsWith('/node_modules/' + name)));
const atStart = loaded();
const page = await app.inject({ method: 'GET', url: '/docs/' });
console.log(JSON.stringify({ atStart, afterDocs: loaded(), page: page.statusCode }));
await app.close();
`;

t.test('Swagger UI and its file server are loaded by the first request for the docs, not at start', async (t) => {
  const { code, stdout, stderr } = await runModuleSource(LOADED_BEFORE_AND_AFTER_DOCS);
  t.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as { atStart: string[]; afterDocs: string[]; page: number };
  t.same(report.atStart, ['@fastify/swagger/index.js'], 'only the document generator at start (and no second instance to inject into)');
  t.equal(report.page, 200);
  t.same(report.afterDocs, ['@fastify/swagger/index.js', '@fastify/swagger-ui/index.js', '@fastify/static/index.js', 'light-my-request/index.js']);
});

t.test('the docs pages keep their caching, redirects, CSP and YAML, and answer unknown paths with problem+json', async (t) => {
  const { app } = await setUp(t);
  const [first, second] = await Promise.all([app.inject('/docs/static/swagger-ui-bundle.js'), app.inject('/docs/static/swagger-ui-bundle.js')]);
  t.equal(first.statusCode, 200, 'two first requests at once share one Swagger UI');
  t.equal(second.body, first.body);
  t.match(first.headers['content-type'], /javascript/);
  t.ok(first.headers.etag, 'an ETag');
  t.ok(first.headers['last-modified'], 'a Last-Modified');
  t.equal(first.headers['content-length'], String(first.rawPayload.length));
  t.match(first.headers['x-request-id'], /\S/, "through this app's hooks");

  const head = await app.inject({ method: 'HEAD', url: '/docs/static/swagger-ui-bundle.js' });
  t.equal(head.statusCode, 200);
  t.equal(head.headers['content-length'], first.headers['content-length'], 'a HEAD tells the length of what a GET sends');
  t.equal(head.body, '');

  const fresh = await app.inject({ url: '/docs/static/swagger-ui-bundle.js', headers: { 'if-none-match': String(first.headers.etag) } });
  t.equal(fresh.statusCode, 304);
  t.equal(fresh.body, '');
  t.equal(fresh.headers['content-type'], undefined, 'no content type on an empty answer');

  const redirect = await app.inject('/docs/static/index.html');
  t.equal(redirect.statusCode, 302);
  t.equal(redirect.headers.location, '/docs/');
  t.equal(redirect.headers['content-type'], undefined);

  const page = await app.inject('/docs');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-security-policy'], /img-src 'self' data: validator\.swagger\.io;/, "Swagger UI's own CSP");
  t.match(page.headers['content-security-policy'], /style-src 'self' https: 'unsafe-inline'/, 'with inline styles allowed');
  const api = await app.inject('/docs/json');
  t.equal(api.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", 'the API CSP on the JSON document');
  t.notMatch(api.headers['content-security-policy'], /validator\.swagger\.io/);

  const yaml = await app.inject('/docs/yaml');
  t.equal(yaml.statusCode, 200);
  t.match(yaml.body, /^openapi: 3\.1\.0$/m);

  for (const url of ['/docs/nope', '/docs/static/nope.js', '/docs/static/%2e%2e/%2e%2e/package.json']) {
    const missing = await app.inject(url);
    t.equal(missing.statusCode, 404, url);
    t.match(missing.headers['content-type'], /^application\/problem\+json/, url);
    t.match(missing.json<{ detail: string }>().detail, /\S/, url);
  }
});

t.test('DOCS_UI=false switches Swagger UI off; the OpenAPI document stays at /docs/json', async (t) => {
  const { app } = await setUp(t, { DOCS_UI: 'false' });
  for (const url of ['/docs', '/docs/', '/docs/static/index.html', '/docs/static/swagger-ui-bundle.js']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 404, url);
    t.match(res.headers['content-type'], /^application\/problem\+json/, url);
  }
  const served = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(served.statusCode, 200);
  t.same(served.json(), JSON.parse(await readFile(OPENAPI_FILE, 'utf8')));
});
