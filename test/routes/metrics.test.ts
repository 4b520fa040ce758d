import { randomUUID } from 'node:crypto';
import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../support/build.js';

t.test('GET /metrics exposes request, upstream, token pool, idempotency, rate-limit, circuit and event-loop metrics', async (t) => {
  const { app } = await setUp(t, { TOKEN_PREFETCH: 'true', RATE_LIMIT_MAX: '3' });
  const key = { 'idempotency-key': randomUUID() };
  await postCheckout(app, validCheckout(), key);
  await postCheckout(app, validCheckout(), key);
  await postCheckout(app, validCheckout());
  t.equal((await postCheckout(app, validCheckout())).statusCode, 429);

  const res = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain/);
  const text = res.body;
  t.match(text, /http_request_duration_seconds_count\{method="POST",route="\/checkout",status_code="201"\} 3/);
  t.match(text, /http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/checkout",status_code="201"\}/);
  t.match(text, /flinks_upstream_duration_seconds_count\{step="initiate",outcome="ok"\} 2/);
  t.match(text, /flinks_upstream_duration_seconds_count\{step="authorize",outcome="ok"\} \d+/);
  t.match(text, /flinks_token_pool_size \d+/);
  t.match(text, /flinks_token_pool_misses_total 1/);
  t.match(text, /flinks_token_pool_hits_total 1/);
  t.match(text, /checkout_idempotency_replays_total 1/);
  t.match(text, /http_rate_limit_rejections_total\{route="\/checkout"\} 1/);
  t.match(text, /flinks_circuit_state 0/);
  t.match(text, /nodejs_eventloop_lag_p99_seconds/);
});

t.test('unknown paths are counted under one route label, not one per path', async (t) => {
  const { app } = await setUp(t);
  for (const path of ['/a', '/b', '/c']) await app.inject({ method: 'GET', url: path });
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.notMatch(text, /route="\/a"/);
  t.match(text, /route="unmatched",status_code="404"\} 3/);
});
