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
