import { jwtVerify } from 'jose';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { secretKey } from '../../src/config/secret.js';
import { postCheckout, setUp } from '../support/build.js';
import { customer, SECRET, SIGNED_ENV } from './support.js';

/* The demo page's stand-in for the merchant's backend: GET /demo/config and POST /demo/intent. */

async function sandboxApp(t: Test, env: Record<string, string> = {}) {
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }));
  t.teardown(() => app.close());
  return app;
}

t.test('in sandbox mode with a secret: /demo/config says signing, /demo/intent signs the cart, and the checkout goes through', async (t) => {
  const app = await sandboxApp(t, SIGNED_ENV);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const config = await app.inject({ url: '/demo/config' });
  t.equal(config.statusCode, 200);
  t.same(config.json(), { signing: true });
  t.equal(config.headers['cache-control'], 'no-store');

  const minted = await app.inject({ method: 'POST', url: '/demo/intent', payload: { amount: '49.95' } });
  t.equal(minted.statusCode, 200);
  const { intent } = minted.json<{ intent: string }>();
  const { payload, protectedHeader } = await jwtVerify(intent, secretKey(SECRET), { algorithms: ['HS256'] });
  t.equal(protectedHeader.alg, 'HS256');
  t.match(payload, { amount: '49.95', referenceId: /^demo-[0-9a-f-]{36}$/, jti: String });
  t.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600, 'ten minutes to live');

  const checkout = await postCheckout(app, { intent, customer });
  t.equal(checkout.statusCode, 201);
  const unsigned = await postCheckout(app, { amount: '49.95', customer });
  t.equal(unsigned.statusCode, 400, 'the demo page cannot skip the intent either');
});

t.test('/demo/intent validates the cart amount like the body amount', async (t) => {
  const app = await sandboxApp(t, SIGNED_ENV);
  for (const payload of [{ amount: '12.345' }, { amount: '0' }, {}, { amount: '1.00', extra: 1 }]) {
    const res = await app.inject({ method: 'POST', url: '/demo/intent', payload });
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.headers['content-type'], /^application\/problem\+json/);
  }
});

t.test('without signing: /demo/config says so and there is no /demo/intent', async (t) => {
  const app = await sandboxApp(t);
  t.same((await app.inject({ url: '/demo/config' })).json(), { signing: false });
  t.equal((await app.inject({ method: 'POST', url: '/demo/intent', payload: { amount: '1.00' } })).statusCode, 404);
});

t.test('the stand-in never exists in production, with keys from a JWKS, or without the demo page', async (t) => {
  const production = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    FLINKS_BASE_URL: 'https://api.flinks.test',
    FLINKS_USERNAME: 'u',
    FLINKS_PASSWORD: 'p',
    DEMO_PAGE: 'true',
    ...SIGNED_ENV,
  };
  const live = await buildApp(loadConfig(production));
  t.teardown(() => live.close());
  t.same((await live.inject({ url: '/demo/config' })).json(), { signing: true }, 'the demo page is served');
  t.equal((await live.inject({ method: 'POST', url: '/demo/intent', payload: { amount: '1.00' } })).statusCode, 404, 'production');

  const jwks = await sandboxApp(t, { CHECKOUT_JWKS_URL: 'http://127.0.0.1:1/jwks.json' });
  t.same((await jwks.inject({ url: '/demo/config' })).json(), { signing: true });
  t.equal((await jwks.inject({ method: 'POST', url: '/demo/intent', payload: { amount: '1.00' } })).statusCode, 404, 'JWKS: no secret to sign with');

  const { app: noDemo } = await setUp(t, SIGNED_ENV);
  t.equal((await noDemo.inject({ url: '/demo/config' })).statusCode, 404, 'real Flinks without DEMO_PAGE');
  t.equal((await noDemo.inject({ method: 'POST', url: '/demo/intent', payload: { amount: '1.00' } })).statusCode, 404);
});

t.test('/demo/intent never exists beside real Flinks, whatever NODE_ENV and DEMO_PAGE say', async (t) => {
  const remote = { LOG_LEVEL: 'silent', FLINKS_BASE_URL: 'https://api.flinks.test', FLINKS_USERNAME: 'u', FLINKS_PASSWORD: 'p', ...SIGNED_ENV };
  for (const nodeEnv of [undefined, 'development', 'test'] as const) {
    const app = await buildApp(loadConfig({ ...remote, DEMO_PAGE: 'true', ...(nodeEnv ? { NODE_ENV: nodeEnv } : {}) }));
    t.teardown(() => app.close());
    t.same((await app.inject({ url: '/demo/config' })).json(), { signing: true }, `NODE_ENV=${String(nodeEnv)}: the demo page is served`);
    const minted = await app.inject({ method: 'POST', url: '/demo/intent', payload: { amount: '1.00' } });
    t.equal(minted.statusCode, 404, `NODE_ENV=${String(nodeEnv)}: nobody can mint an intent for any amount against real Flinks`);
    t.match(minted.headers['content-type'], /^application\/problem\+json/);
  }
});

t.test('the demo routes stay out of the API document', async (t) => {
  const app = await sandboxApp(t, SIGNED_ENV);
  const paths = Object.keys((await app.inject({ url: '/docs/json' })).json<{ paths: object }>().paths);
  t.notOk(paths.some((path) => path.startsWith('/demo')));
});
