import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import t, { type Test } from 'tap';
import { AppError } from '../../../src/errors/app-errors.js';
import { idempotencyPlugin } from '../../../src/plugins/app/idempotency.js';
import { metricsPlugin } from '../../../src/plugins/app/metrics.js';
import { createMemoryStore } from '../../../src/store/memory-store.js';
import { StoreUnavailableError, type SharedStore } from '../../../src/store/shared-store.js';

/*
 * The idempotency plugin against a store that fails the way Redis does: down for a while, or
 * carrying a command out after it timed out here (the service's commandTimeout is 1 s). Written
 * store calls that failed are tried again every STORE_RETRY_MS here (every second in the service),
 * so these tests wait AFTER_RETRIES_MS for that.
 */

const STORE_RETRY_MS = 100;
const AFTER_RETRIES_MS = 4 * STORE_RETRY_MS;

type Operation = keyof SharedStore;

/** A shared store that can be down, or can carry out one call of an operation and then report it failed. */
function flakyStore() {
  const inner = createMemoryStore({ maxEntries: 1000 });
  const state = { down: false, ranButFailed: new Set<Operation>() };
  async function attempt<T>(operation: Operation, run: () => Promise<T>): Promise<T> {
    if (state.down) throw new StoreUnavailableError('down');
    const result = await run();
    if (state.ranButFailed.delete(operation)) throw new StoreUnavailableError('timed out here, carried out in Redis');
    return result;
  }
  const store: SharedStore = {
    get: (key) => attempt('get', () => inner.get(key)),
    set: (key, value, ttlMs) => attempt('set', () => inner.set(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => attempt('setIfAbsent', () => inner.setIfAbsent(key, value, ttlMs)),
    setEachIfAbsent: (entries) => attempt('setEachIfAbsent', () => inner.setEachIfAbsent(entries)),
    delete: (key) => attempt('delete', () => inner.delete(key)),
    replaceIfEqual: (key, expected, value, ttlMs) => attempt('replaceIfEqual', () => inner.replaceIfEqual(key, expected, value, ttlMs)),
    replaceIfEqualWhileAbsent: (key, expected, value, ttlMs, absentKey) =>
      attempt('replaceIfEqualWhileAbsent', () => inner.replaceIfEqualWhileAbsent(key, expected, value, ttlMs, absentKey)),
    deleteIfEqual: (key, expected) => attempt('deleteIfEqual', () => inner.deleteIfEqual(key, expected)),
    isHealthy: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
  return { store, state };
}

/**
 * An instance: POST /checkout under the idempotency plugin, counting the payment requests it would
 * make; `whileRunning` runs inside each checkout (to stall it, or to take the store down).
 */
async function instance(t: Test, store: SharedStore, clock: { now: number }, whileRunning: () => Promise<void> = () => Promise.resolve()) {
  const app: FastifyInstance = Fastify();
  t.teardown(() => app.close());
  await app.register(metricsPlugin);
  await app.register(idempotencyPlugin, { store, storeRetryMs: STORE_RETRY_MS, retentionMs: 24 * 60 * 60 * 1000, claimTtlMs: 90_000, now: () => clock.now });
  app.setErrorHandler((error, _request, reply) => {
    const status = error instanceof AppError ? error.status : 500;
    void reply
      .code(status)
      .type('application/problem+json')
      .send({ type: error instanceof AppError ? error.code : 'internal-error', status });
  });
  const paymentRequests = { made: 0 };
  app.post(
    '/checkout',
    { config: { idempotency: { keyOf: (request) => ({ key: String(request.headers['idempotency-key']), source: 'header' }) } } },
    async (_request, reply) => {
      paymentRequests.made += 1;
      await whileRunning();
      reply.code(201);
      return { requestId: `request-${paymentRequests.made}` };
    },
  );
  await app.ready();
  return { app, paymentRequests };
}

const post = (app: FastifyInstance, key: string) =>
  app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': 'application/json', 'idempotency-key': key }, payload: { amount: '1.00' } });

t.test('a takeover of an abandoned claim that the store carried out after it failed here never frees the key', async (t) => {
  const { store, state } = flakyStore();
  const clock = { now: 1_000_000 };
  let stop: () => void = () => undefined;
  let reached: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (reached = resolve));
  const one = await instance(t, store, clock, () => {
    reached();
    return new Promise<void>((resolve) => (stop = resolve));
  });
  const first = post(one.app, 'k');
  await stalled;
  t.equal(one.paymentRequests.made, 1, 'the first checkout reached Flinks, then its instance stalled');

  const two = await instance(t, store, clock);
  clock.now += 91_000;
  state.ranButFailed.add('replaceIfEqual');
  t.equal((await post(two.app, 'k')).statusCode, 503, 'the takeover timed out here');
  await sleep(AFTER_RETRIES_MS);
  const again = await post(two.app, 'k');
  t.equal(again.statusCode, 504, 'the key answers that its checkout was cut off');
  t.equal(one.paymentRequests.made + two.paymentRequests.made, 1, 'never a second payment request');
  stop();
  await first;
});

t.test("an answer waiting for the store is not replaced by a retry's failed claim of the same slot", async (t) => {
  const { store, state } = flakyStore();
  const clock = { now: 1_000_000 };
  const { app, paymentRequests } = await instance(t, store, clock, () => {
    state.down = true;
    return Promise.resolve();
  });
  const first = await post(app, 'k');
  t.equal(first.statusCode, 503, 'not handed out while its answer waits for the store');
  t.equal((await post(app, 'k')).statusCode, 503, 'a retry during the outage');
  state.down = false;
  await sleep(AFTER_RETRIES_MS);
  const replayed = await post(app, 'k');
  t.equal(replayed.statusCode, 201, 'the checkout made first, its answer written once the store was back');
  t.equal(replayed.headers['idempotent-replayed'], 'true');
  t.match(replayed.json(), { requestId: 'request-1' });
  t.equal(paymentRequests.made, 1);
});

t.test('two claims of one slot that the store carried out after they failed here are both given back', async (t) => {
  const { store, state } = flakyStore();
  const clock = { now: 1_000_000 };
  const { app, paymentRequests } = await instance(t, store, clock);
  state.ranButFailed.add('setEachIfAbsent');
  t.equal((await post(app, 'k')).statusCode, 503, 'the claim timed out here but was made');
  state.down = true;
  t.equal((await post(app, 'k')).statusCode, 503, 'a retry while the store is away');
  state.down = false;
  await sleep(AFTER_RETRIES_MS);
  t.equal((await post(app, 'k')).statusCode, 201, 'the key is free: the checkout runs now');
  t.equal(paymentRequests.made, 1);
});

t.test('a full in-memory store refuses new keys (503) rather than forget one: every retry still replays', async (t) => {
  let refusals = 0;
  // Room for two keyed checkouts: each keeps a binding of its key and its answer.
  const store = createMemoryStore({ maxEntries: 4, onFull: () => (refusals += 1) });
  const { app, paymentRequests } = await instance(t, store, { now: 1_000_000 });
  t.equal((await post(app, 'first')).statusCode, 201);
  t.equal((await post(app, 'second')).statusCode, 201);
  const refused = await post(app, 'third');
  t.equal(refused.statusCode, 503);
  t.match(refused.json(), { type: 'idempotency-unavailable' });
  t.equal(refusals, 1, 'the store said it was full');
  for (const key of ['first', 'second']) {
    const replayed = await post(app, key);
    t.equal(replayed.statusCode, 201, `${key}: still known`);
    t.equal(replayed.headers['idempotent-replayed'], 'true');
  }
  t.equal(paymentRequests.made, 2, 'never a second payment request, nor one for the refused key');
});
