import FakeTimers from '@sinonjs/fake-timers';
import t from 'tap';
import { request } from 'undici';
import { STORE_CATCH_UP_MS } from '../../src/checkout/records.js';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { freePort, tcpRelay, until } from '../support/net.js';
import { startRedis, stopRedis } from '../support/redis.js';

/*
 * A checkout created while Redis is down waits in its instance's memory until Redis takes it
 * (retried every second). Once Redis is back, another instance may reconnect and read before that
 * write lands: it must answer 503 (not found *yet*), never 404, which the browser client takes as
 * final. Instance `a` reaches Redis through a TCP relay that the test keeps shut after Redis is back,
 * so that window stays open for as long as the test needs.
 */

t.test('after a Redis outage, a checkout another instance made meanwhile answers 503 until its record is written, never 404', async (t) => {
  const redisPort = await freePort();
  const redis = await startRedis(t, redisPort);
  const toRedis = await tcpRelay(t, redisPort);
  const sandbox = await startSandbox(t);
  const env = { STATUS_CACHE_MS: '0', REDIS_KEY_PREFIX: 'records-after-outage:' };
  const a = await buildTestApp(t, sandbox, { ...env, REDIS_URL: `redis://127.0.0.1:${toRedis.port}` });
  const b = await buildTestApp(t, sandbox, { ...env, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
  const url = await b.listen({ port: 0, host: '127.0.0.1' });
  await a.ready();
  const stranger = 'c0ffee00-0000-4000-8000-000000000000';
  t.equal((await b.inject({ url: `/checkout/${stranger}` })).statusCode, 404, 'before the outage an unknown id is a 404');

  await stopRedis(redis);
  await toRedis.shut();
  const created = await postCheckout(a, validCheckout({ referenceId: 'order-in-outage' }));
  t.equal(created.statusCode, 201, 'an unkeyed checkout goes through during the outage');
  const { requestId } = created.json<{ requestId: string }>();
  t.equal((await b.inject({ url: `/checkout/${requestId}` })).statusCode, 503, 'during the outage: 503');

  // Redis is back for b; a cannot reach it yet, so its record still waits in a's memory.
  await startRedis(t, redisPort);
  await until('b is connected again', () => b.shared.store.isHealthy());
  const read = await b.inject({ url: `/checkout/${requestId}` });
  t.equal(read.statusCode, 503, 'Redis is back, the record not yet: 503, not 404');
  t.match(read.json(), { status: 503, type: /records-unavailable$/ });
  t.match(read.headers['retry-after'], /^\d+$/);
  const events = await request(`${url}/checkout/${requestId}/events`, { headers: { accept: 'text/event-stream' } });
  t.equal(events.statusCode, 503, 'the event stream too');
  await events.body.dump();

  await toRedis.open();
  await until('a writes the record it kept', async () => (await b.inject({ url: `/checkout/${requestId}` })).statusCode === 200);
  t.match((await b.inject({ url: `/checkout/${requestId}` })).json(), { requestId, referenceId: 'order-in-outage' });
  // How long a store back from an outage may still lack records is measured with Date: moved past
  // that window instead of waiting it out.
  const clock = FakeTimers.install({ toFake: ['Date'], now: Date.now() });
  t.teardown(() => {
    clock.uninstall();
  });
  t.equal((await b.inject({ url: `/checkout/${stranger}` })).statusCode, 503, 'while they may still be catching up, an unknown id is not yet a 404');
  clock.tick(STORE_CATCH_UP_MS);
  t.equal((await b.inject({ url: `/checkout/${stranger}` })).statusCode, 404, 'an unknown id is a 404 again once the instances have caught up');
  await Promise.all([a.close(), b.close()]);
});
