import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { StoreFullError, type SharedStore } from '../../src/store/shared-store.js';
import { cleanRedisOnTeardown, freshPrefix, REDIS_URL } from '../support/redis.js';

/*
 * What idempotency needs of both stores: setEachIfAbsent (several setIfAbsent in one round trip: a
 * key is bound and its slot claimed together), and compare-and-set, so that only the request holding
 * a claim stores its answer or gives it back.
 */

const stores: [string, (t: Test) => SharedStore][] = [
  ['memory', () => createMemoryStore({ maxEntries: 100 })],
  [
    'redis',
    (t) => {
      const prefix = freshPrefix();
      cleanRedisOnTeardown(t, prefix);
      const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
      const store = createRedisStore(redis, prefix);
      t.teardown(() => store.close());
      return store;
    },
  ],
];

for (const [name, storeFor] of stores) {
  t.test(`[${name}] each entry is stored only where its key is absent, answered in order`, async (t) => {
    const store = storeFor(t);
    await store.set('b', 'earlier', 60_000);
    const stored = await store.setEachIfAbsent([
      { key: 'a', value: 'first', ttlMs: 60_000 },
      { key: 'b', value: 'second', ttlMs: 60_000 },
      { key: 'c', value: 'third', ttlMs: 60_000 },
    ]);
    t.same(stored, [true, false, true]);
    t.same([await store.get('a'), await store.get('b'), await store.get('c')], ['first', 'earlier', 'third'], 'a present key keeps its value');
    t.same(await store.setEachIfAbsent([{ key: 'a', value: 'again', ttlMs: 60_000 }]), [false]);
  });

  t.test(`[${name}] each entry expires after its own time`, async (t) => {
    const store = storeFor(t);
    t.same(
      await store.setEachIfAbsent([
        { key: 'short', value: '1', ttlMs: 30 },
        { key: 'long', value: '2', ttlMs: 60_000 },
      ]),
      [true, true],
    );
    await sleep(80);
    t.equal(await store.get('short'), undefined);
    t.equal(await store.get('long'), '2');
  });

  t.test(`[${name}] replaceIfEqual and deleteIfEqual act only while the value is the expected one`, async (t) => {
    const store = storeFor(t);
    await store.set('claim', 'mine', 60_000);
    t.equal(await store.replaceIfEqual('claim', 'theirs', 'answer', 60_000), false);
    t.equal(await store.deleteIfEqual('claim', 'theirs'), false);
    t.equal(await store.get('claim'), 'mine', 'another value leaves it as it was');
    t.equal(await store.replaceIfEqual('claim', 'mine', 'answer', 60_000), true);
    t.equal(await store.get('claim'), 'answer');
    t.equal(await store.deleteIfEqual('claim', 'mine'), false, 'no longer the expected value');
    t.equal(await store.deleteIfEqual('claim', 'answer'), true);
    t.equal(await store.get('claim'), undefined);
    t.equal(await store.replaceIfEqual('claim', 'answer', 'again', 60_000), false, 'an absent key is not replaced');
    t.equal(await store.get('claim'), undefined);
  });

  t.test(`[${name}] replaceIfEqualWhileAbsent acts only while the value is the expected one and the other key is absent`, async (t) => {
    const store = storeFor(t);
    await store.set('binding', 'earlier', 60_000);
    await store.set('slot', 'held', 60_000);
    t.equal(await store.replaceIfEqualWhileAbsent('binding', 'earlier', 'mine', 60_000, 'slot'), false, 'the other key exists');
    t.equal(await store.get('binding'), 'earlier');
    await store.delete('slot');
    t.equal(await store.replaceIfEqualWhileAbsent('binding', 'other', 'mine', 60_000, 'slot'), false, 'not the expected value');
    t.equal(await store.replaceIfEqualWhileAbsent('binding', 'earlier', 'mine', 30, 'slot'), true);
    t.equal(await store.get('binding'), 'mine');
    t.equal(await store.replaceIfEqualWhileAbsent('binding', 'earlier', 'theirs', 60_000, 'slot'), false, 'a rival that judged the same value loses');
    await sleep(80);
    t.equal(await store.get('binding'), undefined, 'with the new time to live');
  });

  t.test(`[${name}] a replaced value gets the new time to live`, async (t) => {
    const store = storeFor(t);
    await store.set('claim', 'mine', 60_000);
    t.equal(await store.replaceIfEqual('claim', 'mine', 'brief', 30), true);
    await sleep(80);
    t.equal(await store.get('claim'), undefined);
  });
}

/**
 * A clock for the in-memory store, starting well after 0 (lru-cache takes an entry stamped 0 for
 * one without an age). lru-cache reads its clock at most once a millisecond, hence the pause.
 */
function manualClock() {
  const start = 10_000;
  let at = start;
  return {
    now: () => at,
    async moveTo(msAfterStart: number) {
      at = start + msAfterStart;
      await sleep(2);
    },
  };
}

t.test('[memory] full, the store refuses new keys instead of evicting live ones; expired ones make room', async (t) => {
  const clock = manualClock();
  const store = createMemoryStore({ maxEntries: 3, now: clock.now });
  await store.set('long', '1', 60_000);
  t.same(
    await store.setEachIfAbsent([
      { key: 'brief', value: '2', ttlMs: 30 },
      { key: 'claim', value: '3', ttlMs: 60_000 },
    ]),
    [true, true],
  );
  await t.rejects(store.setIfAbsent('new', '4', 60_000), StoreFullError);
  await t.rejects(
    store.setEachIfAbsent([
      { key: 'long', value: 'x', ttlMs: 60_000 },
      { key: 'new', value: '4', ttlMs: 60_000 },
    ]),
    StoreFullError,
    'all or nothing',
  );
  await t.rejects(store.set('new', '4', 60_000), StoreFullError);
  t.same(
    [await store.get('long'), await store.get('brief'), await store.get('claim'), await store.get('new')],
    ['1', '2', '3', undefined],
    'nothing was evicted or written',
  );
  t.equal(await store.replaceIfEqual('claim', '3', 'answer', 60_000), true, 'a live key may still change');
  await store.set('long', 'again', 60_000);
  t.equal(await store.get('long'), 'again');
  await clock.moveTo(1000);
  t.equal(await store.get('brief'), undefined, 'expired');
  t.equal(await store.setIfAbsent('new', '4', 60_000), true, 'the expired entry gave way');
  t.same([await store.get('long'), await store.get('claim'), await store.get('new')], ['again', 'answer', '4']);
});

/**
 * A store of two entries, full: 'brief' expires at 100 ms, 'long' lives on. A refused write has
 * just looked for expired entries (there were none yet).
 */
async function fullStore(t: Test) {
  const clock = manualClock();
  const store = createMemoryStore({ maxEntries: 2, now: clock.now });
  await store.set('brief', '1', 100);
  await store.set('long', '2', 60_000);
  await t.rejects(store.setIfAbsent('a', '3', 60_000), StoreFullError, 'full, and nothing has expired yet');
  return { clock, store };
}

t.test('[memory] full, the store looks for expired entries at most once a second, not on every refused write', async (t) => {
  const { clock, store } = await fullStore(t);
  await clock.moveTo(500);
  // 'brief' has expired (reading it would drop it): its room comes back with the next look.
  await t.rejects(store.setIfAbsent('a', '3', 60_000), StoreFullError, 'the last look was less than a second ago');
  await clock.moveTo(999);
  await t.rejects(store.setIfAbsent('a', '3', 60_000), StoreFullError);
  await clock.moveTo(1000);
  t.equal(await store.setIfAbsent('a', '3', 60_000), true, 'the look a second later dropped the expired entry');
  await t.rejects(store.setIfAbsent('b', '4', 60_000), StoreFullError, 'full again with live entries');
});

t.test('[memory] full, an expired key may be written again at once: it takes no more room', async (t) => {
  const { clock, store } = await fullStore(t);
  await clock.moveTo(500);
  t.equal(await store.setIfAbsent('brief', 'again', 60_000), true, 'expired, so absent, and its entry is reused');
  t.equal(await store.get('brief'), 'again');
  await t.rejects(store.setIfAbsent('a', '3', 60_000), StoreFullError, 'still two live entries');
});
