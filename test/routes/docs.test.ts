import { readFile } from 'node:fs/promises';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { OPENAPI_FILE, renderOpenApi } from '../../src/plugins/external/swagger.js';
import { setUp } from '../support/build.js';

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
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
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
});

t.test('Swagger UI is served at /docs', async (t) => {
  const { app } = await setUp(t);
  const res = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /swagger/i);
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
