import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { SharedStore } from '../../src/store/shared-store.js';

/* setEachIfAbsent: several setIfAbsent in one round trip (idempotency binds a key and claims its slot with it). */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const stores: [string, (t: Test) => SharedStore][] = [
  ['memory', () => createMemoryStore({ maxEntries: 100 })],
  [
    'redis',
    (t) => {
      const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
      const store = createRedisStore(redis, `test-${randomUUID()}:`);
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
    t.same(await store.setEachIfAbsent([{ key: 'short', value: '1', ttlMs: 30 }, { key: 'long', value: '2', ttlMs: 60_000 }]), [true, true]);
    await sleep(80);
    t.equal(await store.get('short'), undefined);
    t.equal(await store.get('long'), '2');
  });
}
