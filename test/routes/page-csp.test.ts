import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';

/*
 * Pages a browser renders must load over plain http too (a compose or cluster address, a LAN IP):
 * `upgrade-insecure-requests` makes Chromium fetch every asset of such a page over https, which
 * nothing answers, so Swagger UI and the demo page came up blank. HSTS covers https deployments.
 */

t.test('the CSP of Swagger UI and the demo page never upgrades their assets to https', async (t) => {
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }));
  t.teardown(() => app.close());
  for (const url of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/', '/demo/demo.js', '/demo/demo.css']) {
    const res = await app.inject({ method: 'GET', url, headers: { host: '192.168.1.20:3000' } });
    t.equal(res.statusCode, 200, url);
    const csp = String(res.headers['content-security-policy']);
    t.match(csp, /default-src 'self'/, `${url}: a page's CSP`);
    t.notMatch(csp, /upgrade-insecure-requests/, `${url}: no upgrade-insecure-requests`);
  }
});

t.test('the demo page may frame only the Flinks Pay app, and loads styles and fonts from this service only', async (t) => {
  const directivesOf = async (env: Record<string, string>) => {
    const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }));
    t.teardown(() => app.close());
    const csp = String((await app.inject({ url: '/' })).headers['content-security-policy']);
    return Object.fromEntries(
      csp.split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
  };
  const sandbox = await directivesOf({});
  t.equal(sandbox['frame-src'], "'self' http://localhost:* http://127.0.0.1:*", 'the embedded sandbox app, under either name of this machine');
  t.equal(sandbox['style-src'], "'self'");
  t.equal(sandbox['font-src'], "'self'");
  const remote = await directivesOf({
    FLINKS_BASE_URL: 'https://merchant.flinks.test/api',
    FLINKS_APP_URL: 'https://pay.flinks.test/app/path',
    FLINKS_USERNAME: 'u',
    FLINKS_PASSWORD: 'p',
    FLINKS_INSTANCE: 'i',
    DEMO_PAGE: 'true',
  });
  t.equal(remote['frame-src'], "'self' https://pay.flinks.test", 'the configured app origin, and no other https site');
});
