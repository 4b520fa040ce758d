import { randomUUID } from 'node:crypto';
import t from 'tap';
import { request } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { postCheckout, setUp, startSandbox, validCheckout } from '../support/build.js';
import { BFF_LISTENING, bffProcessEnv, startProcess } from '../support/process.js';
import { freePort } from '../support/net.js';

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
  for (const step of ['authorize', 'initiate', 'paymentrequest', 'status']) t.match(text, new RegExp(`flinks_circuit_state\\{step="${step}"\\} 0`));
  t.match(text, /nodejs_eventloop_lag_p99_seconds/);
});

t.test('unknown paths are counted under one route label, not one per path', async (t) => {
  const { app } = await setUp(t);
  for (const path of ['/a', '/b', '/c']) await app.inject({ method: 'GET', url: path });
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.notMatch(text, /route="\/a"/);
  t.match(text, /route="unmatched",status_code="404"\} 3/);
});

t.test('with METRICS_PORT, /metrics is served on that port only, with the app, and the main port answers 404', async (t) => {
  const metricsPort = await freePort();
  const { app } = await setUp(t, { HOST: '127.0.0.1', METRICS_PORT: String(metricsPort) });
  const onMain = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(onMain.statusCode, 404);
  t.match(onMain.headers['content-type'], /^application\/problem\+json/);

  const main = await app.listen({ port: 0, host: '127.0.0.1' });
  const address = await app.metricsListener.listen();
  t.equal(address, `http://127.0.0.1:${metricsPort}`);
  const scraped = await request(`${address}/metrics`);
  t.equal(scraped.statusCode, 200);
  t.match(scraped.headers['content-type'], /^text\/plain/);
  t.match(await scraped.body.text(), /http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/, "the main app's own counts");
  t.match(scraped.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'a request id, as on the main port');
  const other = await request(`${address}/checkout/x`, { headers: { 'x-request-id': 'scrape-7' } });
  t.equal(other.statusCode, 404, 'the metrics port serves nothing else');
  t.match(other.headers['content-type'], /^application\/problem\+json/);
  t.equal(other.headers['x-request-id'], 'scrape-7');
  t.match(await other.body.json(), { type: /not-found$/, status: 404, requestId: 'scrape-7', instance: '/checkout/x', detail: /metrics port/ });
  const badPath = await request(`${address}/metrics%zz`);
  t.equal(badPath.statusCode, 400);
  t.match(await badPath.body.json(), { type: /validation-failed$/, errors: [{ path: 'path' }] });
  const public404 = await request(`${main}/metrics`);
  t.equal(public404.statusCode, 404, 'not on the public port');
  await public404.body.dump();

  await app.close();
  await t.rejects(request(`${address}/metrics`), 'the metrics port closes with the app');
});

t.test('METRICS_PORT equal to PORT is a start-up error', (t) => {
  t.throws(() => loadConfig({ PORT: '3000', METRICS_PORT: '3000' }), /METRICS_PORT: must differ from PORT/);
  t.throws(() => loadConfig({ METRICS_PORT: '3000' }), /METRICS_PORT: must differ from PORT/);
  t.end();
});

t.test('npm start with METRICS_PORT listens on both ports: /metrics on the second only', async (t) => {
  const sandbox = await startSandbox(t);
  const metricsPort = await freePort();
  const bff = await startProcess(t, 'src/server.ts', bffProcessEnv(sandbox.url, { METRICS_PORT: String(metricsPort) }), BFF_LISTENING);
  t.match(bff.output(), new RegExp(`"metrics":"http://127\\.0\\.0\\.1:${metricsPort}/metrics"`), 'the start-up line says where');
  const scraped = await request(`http://127.0.0.1:${metricsPort}/metrics`);
  t.equal(scraped.statusCode, 200);
  t.match(await scraped.body.text(), /process_cpu_user_seconds_total/);
  const onMain = await request(`${bff.url}/metrics`);
  t.equal(onMain.statusCode, 404);
  await onMain.body.dump();
  bff.child.kill('SIGTERM');
  t.match(await bff.exited, { code: 0 });
});
