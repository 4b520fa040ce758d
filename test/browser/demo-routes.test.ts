import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { setUp } from '../support/build.js';

/* Where the demo page is served, and how (no browser needed for these). */

t.test('in sandbox mode the demo page and its assets are served, hidden from OpenAPI', async (t) => {
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }));
  t.teardown(() => app.close());
  const page = await app.inject({ url: '/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.headers['content-security-policy'], /default-src 'self'/, 'the strict CSP applies');
  t.match(page.body, /<button id="pay"/);
  t.notMatch(page.body, /<script>|style=/, 'no inline script or style for the CSP to block');
  const script = await app.inject({ url: '/demo/demo.js' });
  t.equal(script.statusCode, 200);
  t.match(script.headers['content-type'], /^text\/javascript/);
  t.equal((await app.inject({ url: '/demo/demo.css' })).headers['content-type'], 'text/css; charset=utf-8');
  t.equal((await app.inject({ url: '/demo/other.js' })).statusCode, 404, 'only the three files');
  const paths = Object.keys((await app.inject({ url: '/docs/json' })).json<{ paths: object }>().paths);
  t.notOk(
    paths.some((path) => path === '/' || path.startsWith('/demo')),
    'not in the API document',
  );
});

t.test('with real Flinks the demo page is off unless DEMO_PAGE=true', async (t) => {
  const { app: plain } = await setUp(t);
  const off = await plain.inject({ url: '/' });
  t.equal(off.statusCode, 404);
  t.match(off.headers['content-type'], /^application\/problem\+json/);

  const { app: withDemo } = await setUp(t, { DEMO_PAGE: 'true' });
  t.equal((await withDemo.inject({ url: '/' })).statusCode, 200);
});
