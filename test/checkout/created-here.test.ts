import { Redis } from 'ioredis';
import t from 'tap';
import { request } from 'undici';
import { buildTestApp, postCheckout, startSandbox, validCheckout } from '../support/build.js';
import { freePort, until } from '../support/net.js';
import { startRedis, stopRedis } from '../support/redis.js';

/*
 * Only checkouts created through this service are answered: the merchant's Flinks account is not
 * readable through the BFF. Two BFFs with separate memory stores in front of one Flinks play "a
 * checkout this service created" and "one it did not".
 */

const fresh = { STATUS_CACHE_MS: '0' };

t.test('GET /checkout/{id} of a payment request that exists at Flinks but was not created here is a 404, without a Flinks call', async (t) => {
  const sandbox = await startSandbox(t);
  const creator = await buildTestApp(t, sandbox, fresh);
  const other = await buildTestApp(t, sandbox, fresh);
  const { requestId } = (await postCheckout(creator, validCheckout({ referenceId: 'order-elsewhere' }))).json<{ requestId: string }>();
  t.equal((await creator.inject({ url: `/checkout/${requestId}` })).statusCode, 200, 'its creator answers');
  sandbox.control.reset();

  const res = await other.inject({ url: `/checkout/${requestId}` });
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.json(), { status: 404, title: 'Checkout not found' });
  t.notMatch(res.body, /order-elsewhere/, 'not even its referenceId leaks');

  const events = await other.inject({ url: `/checkout/${requestId}/events`, headers: { accept: 'text/event-stream' } });
  t.equal(events.statusCode, 404);
  t.match(events.headers['content-type'], /^application\/problem\+json/);
  t.equal(sandbox.control.calls.length, 0, 'Flinks was never asked');
});

t.test('those 404s count against the per-client 404 budget', async (t) => {
  const sandbox = await startSandbox(t);
  const creator = await buildTestApp(t, sandbox, fresh);
  const other = await buildTestApp(t, sandbox, { ...fresh, STATUS_NOT_FOUND_LIMIT: '2' });
  const { requestId } = (await postCheckout(creator, validCheckout())).json<{ requestId: string }>();
  t.equal((await other.inject({ url: `/checkout/${requestId}` })).statusCode, 404);
  t.equal((await other.inject({ url: `/checkout/${requestId}/events` })).statusCode, 404);
  const limited = await other.inject({ url: `/checkout/${requestId}` });
  t.equal(limited.statusCode, 429);
  t.match(limited.headers['retry-after'], /^\d+$/);
});

t.test('a checkout created here that Flinks answers 404 for (a replica behind) is a 502 to read again, not a 404, and spends no 404 budget', async (t) => {
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, { ...fresh, STATUS_NOT_FOUND_LIMIT: '1' });
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  sandbox.control.inject('status', { kind: 'status', status: 404 }, 3);
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({ url: `/checkout/${requestId}` });
    t.equal(res.statusCode, 502, 'the browser client takes a 404 as the end of the checkout, a 502 as a read to try again');
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json(), { status: 502, type: /upstream-error$/, detail: /does not know this payment request yet.*read it again shortly/ });
  }
  const events = await app.inject({ url: `/checkout/${requestId}/events`, headers: { accept: 'text/event-stream' } });
  t.equal(events.statusCode, 502, 'the stream is not started, and not refused as unknown');
  const known = await app.inject({ url: `/checkout/${requestId}` });
  t.equal(known.statusCode, 200, 'once Flinks knows it, it is read; the budget of one 404 was never spent');
  t.equal(sandbox.control.count('status'), 4);
});

t.test('while the record store (Redis) is down, reads of a real checkout answer 503 with Retry-After, never 404', async (t) => {
  const port = await freePort();
  const redis = await startRedis(t, port);
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, { ...fresh, REDIS_URL: `redis://127.0.0.1:${port}` });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const { requestId } = (await postCheckout(app, validCheckout())).json<{ requestId: string }>();
  t.equal((await app.inject({ url: `/checkout/${requestId}` })).statusCode, 200);

  await stopRedis(redis);
  sandbox.control.reset();
  const res = await app.inject({ url: `/checkout/${requestId}` });
  t.equal(res.statusCode, 503);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.headers['retry-after'], /^\d+$/);
  t.match(res.json(), { status: 503, type: /records-unavailable$/ });

  const events = await request(`${url}/checkout/${requestId}/events`, { headers: { accept: 'text/event-stream' } });
  t.equal(events.statusCode, 503);
  t.match(events.headers['retry-after'], /^\d+$/);
  await events.body.dump();
  t.equal(sandbox.control.count('status'), 0, 'nothing is read from Flinks for a checkout that cannot be vouched for');

  // Closed while Redis answers: outcome delivery's queues wait for Redis when they close.
  await startRedis(t, port);
  await until('Redis is back', () => app.shared.store.isHealthy());
  await app.close();
});

t.test('a checkout created while Redis is down is readable where it was made, and everywhere once Redis is back', async (t) => {
  const port = await freePort();
  const redis = await startRedis(t, port);
  const sandbox = await startSandbox(t);
  const env = { ...fresh, REDIS_URL: `redis://127.0.0.1:${port}` };
  const a = await buildTestApp(t, sandbox, env);
  const b = await buildTestApp(t, sandbox, env);
  await Promise.all([a.ready(), b.ready()]);

  await stopRedis(redis);
  const created = await postCheckout(a, validCheckout({ referenceId: 'order-in-outage' }));
  t.equal(created.statusCode, 201, 'an unkeyed checkout still goes through');
  const { requestId } = created.json<{ requestId: string }>();
  t.match((await a.inject({ url: `/checkout/${requestId}` })).json(), { requestId, referenceId: 'order-in-outage' });
  t.equal((await b.inject({ url: `/checkout/${requestId}` })).statusCode, 503, 'another instance cannot tell yet: 503, not 404');

  await startRedis(t, port);
  await until('the record reaches Redis', async () => (await b.inject({ url: `/checkout/${requestId}` })).statusCode === 200);
  t.match((await b.inject({ url: `/checkout/${requestId}` })).json(), { requestId, referenceId: 'order-in-outage' });
  // Nothing is lost to the outage: the record is the outcome record, and its reconciliation is queued.
  t.match(await b.outcomes.store.history(requestId), [{ status: 'Initiated', source: 'created' }]);
  const redisClient = new Redis(`redis://127.0.0.1:${port}`);
  t.teardown(() => redisClient.quit());
  // The record is written first, then its reconcile job: the read above may answer in between.
  await until('its reconciliation is scheduled', async () => (await redisClient.exists(`flinks-bff:bull:reconcile:rec_${requestId}`)) === 1);
  await Promise.all([a.close(), b.close()]);
});

t.test('a checkout is one record in Redis, answered for 7 days even when reconciliation stops sooner', async (t) => {
  const port = await freePort();
  await startRedis(t, port);
  const sandbox = await startSandbox(t);
  const app = await buildTestApp(t, sandbox, { ...fresh, REDIS_URL: `redis://127.0.0.1:${port}`, RECONCILE_MAX_AGE_HOURS: '24' });
  const { requestId } = (await postCheckout(app, validCheckout({ referenceId: 'order-one-record' }))).json<{ requestId: string }>();
  t.match((await app.inject({ url: `/checkout/${requestId}` })).json(), { requestId, referenceId: 'order-one-record' });

  const redisClient = new Redis(`redis://127.0.0.1:${port}`);
  t.teardown(() => redisClient.quit());
  const keys = await redisClient.keys(`*${requestId}*`);
  t.same(
    keys.filter((key) => !key.startsWith('flinks-bff:bull:')).sort(),
    [`flinks-bff:outcome:{${requestId}}`, `flinks-bff:outcome:{${requestId}}:history`],
    'the outcome record (and its history) is the only record of the checkout',
  );
  const sevenDays = 7 * 24 * 60 * 60 * 1000;
  t.ok((await redisClient.pttl(`flinks-bff:outcome:{${requestId}}`)) > sevenDays - 60_000, 'kept 7 days, not RECONCILE_MAX_AGE_HOURS');
});
