import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { eventually } from '../outcomes/support.js';
import { validCheckout } from '../support/build.js';

/*
 * The embedded sandbox stands for Flinks. While the service sheds load, its own entry points answer
 * 503, but the simulator keeps answering: a checkout admitted before the pressure began must be
 * able to finish, not fail on Flinks errors that Flinks would never have given.
 */
t.test('under pressure the service refuses new checkouts, and the embedded sandbox still answers', async (t) => {
  // The heap in use after start is above 16 MB, so the heap check sheds from its first sample on.
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', MAX_HEAP_USED_MB: '16' }));
  t.teardown(() => app.close());
  // Listening, so that /ready can reach the embedded sandbox over HTTP, as it does in production.
  await app.listen({ port: 0, host: '127.0.0.1' });

  // Polled with a status read of no checkout (a 404 without a Flinks call), until the first sample.
  await eventually(
    () => app.inject({ url: '/checkout/00000000-0000-4000-8000-000000000000' }),
    (res) => res.statusCode === 503,
    'load shedding to begin',
  );
  const checkout = await app.inject({ method: 'POST', url: '/checkout', payload: validCheckout() });
  t.equal(checkout.statusCode, 503);
  t.match(checkout.json(), { type: 'urn:problem-type:flinks-pay-bff:overloaded' });

  const authorize = await app.inject({
    method: 'POST',
    url: '/sandbox/api/v1/authorize',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  });
  t.equal(authorize.statusCode, 401, 'the simulator answers Flinks calls itself (here: no credentials)');
  const appPage = await app.inject({ url: '/sandbox/app/?sessionId=00000000-0000-4000-8000-000000000000' });
  t.equal(appPage.statusCode, 404, 'the simulated Flinks Pay app answers itself (here: no such session)');
  t.match(appPage.headers['content-type'], /^text\/html/);
  t.equal((await app.inject({ method: 'POST', url: '/checkout', payload: validCheckout() })).statusCode, 503, 'still shedding');

  // The probes answer about the instance and its dependencies, not about load: were /ready shed,
  // a spike that made every instance shed would take them all out of the load balancer at once.
  for (const url of ['/health', '/ready', '/metrics']) {
    t.equal((await app.inject({ url })).statusCode, 200, `${url} is answered while shedding`);
  }
});
