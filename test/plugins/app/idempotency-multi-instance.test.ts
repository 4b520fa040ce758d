import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import t from 'tap';
import { request } from 'undici';
import { startSandbox, validCheckout, type RunningSandbox } from '../../support/build.js';
import { freePort, until } from '../../support/net.js';
import { BFF_LISTENING, bffProcessEnv, startProcess } from '../../support/process.js';
import { sharedRedisEnv, startRedis } from '../../support/redis.js';

function bffEnv(sandbox: RunningSandbox, env: Record<string, string>) {
  return bffProcessEnv(sandbox.url, { UPSTREAM_TIMEOUT_MS: '3000', ...env });
}

async function post(url: string, headers: Record<string, string> = {}, body: unknown = validCheckout()) {
  const res = await request(`${url}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

async function get(url: string) {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

t.test('two BFF processes sharing Redis: one key sent to both at once makes one payment request', async (t) => {
  const sandbox = await startSandbox(t);
  const env = bffEnv(sandbox, { ...sharedRedisEnv(t), RATE_LIMIT_MAX: '1000' });
  const [a, b] = await Promise.all([startProcess(t, 'src/server.ts', env, BFF_LISTENING), startProcess(t, 'src/server.ts', env, BFF_LISTENING)]);
  for (let round = 0; round < 10; round++) {
    sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 50 });
    const key = { 'idempotency-key': randomUUID() };
    const [first, second] = await Promise.all([post(a.url, key), post(b.url, key)]);
    const statuses = [first.status, second.status].sort();
    if (statuses[0] === 201 && statuses[1] === 201) {
      t.equal(first.body, second.body, `round ${round}: identical responses`);
    } else {
      t.same(statuses, [201, 409], `round ${round}: the loser is told the first is in flight`);
      const retry = await post(first.status === 409 ? a.url : b.url, key);
      t.equal(retry.body, (first.status === 201 ? first : second).body, `round ${round}: its retry replays the winner`);
    }
  }
  t.equal(sandbox.control.count('paymentrequest'), 10, 'exactly one payment request per key');
  const record = JSON.parse((await post(a.url)).body) as { requestId: string };
  const status = await get(`${b.url}/checkout/${record.requestId}`);
  t.equal(status.status, 200, 'a checkout made on one instance is known to the other');
  t.notMatch(status.body, /"referenceId":null/);
});

t.test('two BFF processes sharing Redis share one rate limit', async (t) => {
  const sandbox = await startSandbox(t);
  const env = bffEnv(sandbox, { ...sharedRedisEnv(t), RATE_LIMIT_MAX: '4' });
  const [a, b] = await Promise.all([startProcess(t, 'src/server.ts', env, BFF_LISTENING), startProcess(t, 'src/server.ts', env, BFF_LISTENING)]);
  const results = [];
  for (const url of [a.url, b.url, a.url, b.url, a.url, b.url]) results.push((await post(url)).status);
  t.same(results, [201, 201, 201, 201, 429, 429]);
});

t.test('when Redis stops, keyed checkouts answer 503, unkeyed ones go on, /ready says so; all recover with Redis', async (t) => {
  const port = await freePort();
  let redis = await startRedis(t, port);
  const sandbox = await startSandbox(t);
  const bff = await startProcess(t, 'src/server.ts', bffEnv(sandbox, { REDIS_URL: `redis://127.0.0.1:${port}` }), BFF_LISTENING);
  t.equal((await post(bff.url, { 'idempotency-key': randomUUID() })).status, 201, 'keyed checkout with Redis up');

  redis.kill('SIGKILL');
  await once(redis, 'exit');
  const keyed = await post(bff.url, { 'idempotency-key': randomUUID() });
  t.equal(keyed.status, 503, 'a keyed checkout cannot be promised');
  t.match(keyed.headers['content-type'], /^application\/problem\+json/);
  t.match(keyed.headers['retry-after'], /^\d+$/);
  t.equal((await post(bff.url)).status, 201, 'an unkeyed checkout proceeds (rate limiter does not block)');
  await until('/ready reports Redis', async () => {
    const ready = await get(`${bff.url}/ready`);
    return ready.status === 503 && ready.body.includes('Redis');
  });
  t.pass('/ready reports Redis');

  redis = await startRedis(t, port);
  await until('/ready recovers', async () => (await get(`${bff.url}/ready`)).status === 200);
  t.pass('/ready recovers');
  t.equal((await post(bff.url, { 'idempotency-key': randomUUID() })).status, 201, 'keyed checkouts work again');
});

t.test('an unreachable REDIS_URL does not stop start-up; keyed checkouts answer 503', async (t) => {
  const sandbox = await startSandbox(t);
  const bff = await startProcess(t, 'src/server.ts', bffEnv(sandbox, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` }), BFF_LISTENING);
  t.equal((await post(bff.url, { 'idempotency-key': randomUUID() })).status, 503);
  t.equal((await post(bff.url)).status, 201);
  t.equal((await get(`${bff.url}/ready`)).status, 503);
});
