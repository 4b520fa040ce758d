import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';
import { freePort, until } from '../../support/net.js';
import { sharedRedisEnv, startRedis } from '../../support/redis.js';

/*
 * A checkout whose request stops before it answers may or may not have made its payment request at
 * Flinks, so its Idempotency-Key is never treated as free again: a retry gets a kept 504
 * (checkout-interrupted) instead of running the checkout a second time. The forced exit of
 * src/server.ts ends its claims at once (process-level test: test/reliability/shutdown-window.test.ts).
 */

const newKey = () => randomBytes(24).toString('base64url');

/** A claim's lease is 6 × UPSTREAM_TIMEOUT_MS + 30 s (42 s here); a checkout's calls are sent within 2 × it (4 s). */
const UPSTREAM_TIMEOUT_MS = '2000';

t.test('a forced exit ends the claims of checkouts still running: a retry hears at once they were cut off, and nothing runs twice', async (t) => {
  const { app, control } = await setUp(t, { ...sharedRedisEnv(t), UPSTREAM_TIMEOUT_MS });
  const done = newKey();
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': done })).statusCode, 201);

  const running = newKey();
  control.inject('paymentrequest', { kind: 'delay', ms: 800 });
  const slow = postCheckout(app, validCheckout(), { 'idempotency-key': running });
  await control.waitForCall('paymentrequest', 2);
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': running })).statusCode, 409, 'in flight: 409');

  t.equal(await app.abandonInFlightClaims(), 1, 'one claim was in flight');
  const retried = await postCheckout(app, validCheckout(), { 'idempotency-key': running });
  t.equal(retried.statusCode, 504);
  t.match(retried.headers['content-type'], /^application\/problem\+json/);
  t.match(retried.json(), { type: /checkout-interrupted$/, status: 504, detail: /new Idempotency-Key/ });
  const again = await postCheckout(app, validCheckout(), { 'idempotency-key': running });
  t.equal(again.statusCode, 504, 'the answer is kept');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.body, retried.body, 'byte for byte');

  const late = await slow;
  t.equal(late.statusCode, 503, 'the request cut off here had not really stopped: its answer, not kept, is not handed out');
  t.notMatch(late.body, /launchUrl/);
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': running })).statusCode, 504, 'its late answer does not replace the kept one');
  t.equal(control.count('paymentrequest'), 2, 'one payment request per key');
  const replayed = await postCheckout(app, validCheckout(), { 'idempotency-key': done });
  t.equal(replayed.headers['idempotent-replayed'], 'true', 'a finished checkout keeps its answer');
  t.equal(await app.abandonInFlightClaims(), 0, 'nothing left to end');
});

t.test('a claim whose request outlives its lease is answered as cut off, never run again', async (t) => {
  let clock = Date.now();
  const { app, control } = await setUp(t, { ...sharedRedisEnv(t), UPSTREAM_TIMEOUT_MS }, { now: () => clock });
  const key = newKey();
  control.inject('paymentrequest', { kind: 'delay', ms: 800 });
  const slow = postCheckout(app, validCheckout(), { 'idempotency-key': key });
  await control.waitForCall('paymentrequest');

  clock += 41_000;
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': key })).statusCode, 409, 'within the lease: still in flight');
  clock += 2000;
  const retried = await postCheckout(app, validCheckout(), { 'idempotency-key': key });
  t.equal(retried.statusCode, 504, 'after it: cut off');
  t.match(retried.json(), { type: /checkout-interrupted$/ });
  await slow;
  t.equal(control.count('paymentrequest'), 1, 'never a second payment request');
});

t.test('a call still queued when its checkout has used its time is not sent', async (t) => {
  let clock = Date.now();
  const { app, control } = await setUp(t, { UPSTREAM_MAX_CONCURRENCY: '1', UPSTREAM_TIMEOUT_MS }, { now: () => clock });
  control.inject('paymentrequest', { kind: 'delay', ms: 800 });
  const first = postCheckout(app, validCheckout());
  await control.waitForCall('paymentrequest');
  const second = postCheckout(app, validCheckout());
  await until('its authorize waits for the one slot', async () => /^flinks_upstream_queued_calls 1$/m.test((await app.inject({ url: '/metrics' })).body));
  clock += 4100;
  t.equal((await first).statusCode, 201);
  const late = await second;
  t.equal(late.statusCode, 504);
  t.match(late.json(), { type: /upstream-timeout$/ });
  t.equal(control.count('authorize'), 1, 'the queued call never reached Flinks');
});

/**
 * A relay to Redis that, once armed, holds back everything the app sends from the first command
 * naming an idempotency slot (`idem:`) on, until released: a claim the store is still taking.
 */
async function claimHoldingRelay(t: Test, redisPort: number) {
  const port = await freePort();
  let isArmed = false;
  let held: { outbound: Socket; chunks: Buffer[] } | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection({ port: redisPort, host: '127.0.0.1' });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
    }
    outbound.pipe(inbound);
    inbound.on('data', (chunk: Buffer) => {
      if (held?.outbound === outbound) held.chunks.push(chunk);
      else if (isArmed && !held && chunk.includes('idem:')) held = { outbound, chunks: [chunk] };
      else outbound.write(chunk);
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return {
    port,
    arm: () => (isArmed = true),
    isHolding: () => held !== undefined,
    /** Sends what was held, in order, and relays as usual from then on. */
    release: () => {
      if (!held) return;
      const { outbound, chunks } = held;
      held = undefined;
      isArmed = false;
      for (const chunk of chunks) outbound.write(chunk);
    },
  };
}

t.test('a forced exit while the store is still taking a claim (a stalled Redis) ends that claim too: a retry hears it was cut off', async (t) => {
  const redisPort = await freePort();
  await startRedis(t, redisPort);
  const relay = await claimHoldingRelay(t, redisPort);
  const { app, control } = await setUp(t, { REDIS_URL: `redis://127.0.0.1:${relay.port}`, UPSTREAM_TIMEOUT_MS });
  await until('Redis is connected', async () => (await app.inject({ url: '/ready' })).statusCode === 200);
  const key = newKey();
  control.inject('paymentrequest', { kind: 'delay', ms: 800 });

  relay.arm();
  const stopped = postCheckout(app, validCheckout(), { 'idempotency-key': key });
  await until('the claim is on its way', () => relay.isHolding());
  // The shutdown window runs out now; Redis then takes the claim and the end of its lease, in that order.
  const abandoned = app.abandonInFlightClaims();
  relay.release();
  t.equal(await abandoned, 1, 'the claim still on its way was ended');
  const retried = await postCheckout(app, validCheckout(), { 'idempotency-key': key });
  t.equal(retried.statusCode, 504, 'cut off, not 409 for the whole lease');
  t.match(retried.json(), { type: /checkout-interrupted$/ });
  t.equal((await stopped).statusCode, 503, 'the request cut off here had not really stopped: its answer, not kept, is not handed out');
  t.equal(control.count('paymentrequest'), 1, 'one payment request for the key');
});

t.test('a claim the store carried out after it failed here (a stalled Redis) is given back: the key is not held for a lease', async (t) => {
  const port = await freePort();
  const redis = await startRedis(t, port);
  const { app, control } = await setUp(t, { REDIS_URL: `redis://127.0.0.1:${port}` });
  await until('Redis is connected', async () => (await app.inject({ url: '/ready' })).statusCode === 200);
  const key = newKey();

  redis.kill('SIGSTOP');
  const stalled = await postCheckout(app, validCheckout(), { 'idempotency-key': key });
  redis.kill('SIGCONT');
  t.equal(stalled.statusCode, 503, 'the claim timed out here');
  t.match(stalled.json(), { type: /idempotency-unavailable$/ });

  // Redis ran the claim when it resumed; the retry must soon find the key free (not 409 for 90 s).
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== 201; attempt++) {
    status = (await postCheckout(app, validCheckout(), { 'idempotency-key': key })).statusCode;
    if (status !== 201) await sleep(100);
  }
  t.equal(status, 201, 'the retry runs the checkout');
  t.equal(control.count('paymentrequest'), 1);
});

t.test('an answer the store lost (Redis restarted without its data) is not handed out, and written once Redis is back: a retry gets it', async (t) => {
  const port = await freePort();
  let redis = await startRedis(t, port);
  const prefix = `test-${randomUUID()}:`;
  const { app, control } = await setUp(t, { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: prefix });
  await until('Redis is connected', async () => (await app.inject({ url: '/ready' })).statusCode === 200);
  const key = newKey();
  control.inject('paymentrequest', { kind: 'delay', ms: 500 });
  const pending = postCheckout(app, validCheckout(), { 'idempotency-key': key });
  await control.waitForCall('paymentrequest');
  redis.kill('SIGKILL');
  // Had the 201 left while its answer is only in this process, and the process died before Redis
  // came back, every retry of the key would hear that the checkout was cut off, none handed out.
  const first = await pending;
  t.equal(first.statusCode, 503, 'not handed out while its answer is not kept');
  t.equal(first.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.match(first.headers['retry-after'], /^\d+$/);
  t.notOk(first.headers.location);
  t.notMatch(first.body, /launchUrl|sessionId/, 'nothing payable');
  t.match(first.json(), { type: /idempotency-unavailable$/, status: 503, detail: /send the same request again/ });

  redis = await startRedis(t, port);
  const reader = new Redis(`redis://127.0.0.1:${port}`);
  t.teardown(() => reader.quit());
  await until('the answer is written', async () => {
    const names = await reader.keys(`${prefix}idem:*`);
    const values = await Promise.all(names.map((name) => reader.get(name)));
    return values.some((value) => value?.includes('"state":"done"'));
  });
  const retried = await postCheckout(app, validCheckout(), { 'idempotency-key': key });
  t.equal(retried.statusCode, 201);
  t.equal(retried.headers['idempotent-replayed'], 'true', 'the checkout made then');
  t.match(retried.json(), { requestId: String, launchUrl: String });
  t.equal(control.count('paymentrequest'), 1);
});
