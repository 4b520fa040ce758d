import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { createMemoryOutcomeStore } from '../../src/outcomes/memory-outcome-store.js';
import type { ListPosition } from '../../src/outcomes/outcome-listing.js';
import type { OutcomeStore } from '../../src/outcomes/outcome-store.js';
import { createRedisOutcomeStore } from '../../src/outcomes/redis-outcome-store.js';
import { cleanRedisOnTeardown, freshPrefix, REDIS_URL } from './support.js';

/* The two outcome stores behave alike: the same records, history, attempts and change detection. */

const HOUR = 60 * 60 * 1000;
const LIMITS = { retentionMs: 168 * HOUR, minRetentionAfterWriteMs: 72 * HOUR, maxHistory: 20, maxDeliveries: 3 };
const T0 = Date.UTC(2026, 0, 1);

const stores: [string, (t: Test) => OutcomeStore][] = [
  ['memory', () => createMemoryOutcomeStore({ ...LIMITS, maxEntries: 1000 })],
  [
    'redis',
    (t) => {
      const redis = new Redis(REDIS_URL);
      t.teardown(() => redis.quit());
      const prefix = freshPrefix();
      cleanRedisOnTeardown(t, prefix);
      return createRedisOutcomeStore(redis, prefix, LIMITS);
    },
  ],
];

for (const [name, open] of stores) {
  t.test(`${name}: a record starts at Initiated and keeps each status change with its source, forward only`, async (t) => {
    const store = open(t);
    await store.create({ requestId: 'req-1', referenceId: 'order-1', at: T0 });
    await store.create({ requestId: 'req-1', referenceId: 'other', at: T0 + 5 });
    t.match(await store.get('req-1'), { requestId: 'req-1', referenceId: 'order-1', status: 'Initiated', final: false, createdAt: '2026-01-01T00:00:00.000Z' });

    const seen = async (status: 'Processing' | 'Accepted' | 'Settled' | 'Failed', source: 'read' | 'reconcile' | 'webhook', at: number, final = false) =>
      (await store.observe('req-1', { status, final, source, at }))?.changed;
    t.equal(await seen('Processing', 'read', T0 + 1000), true);
    t.equal(await seen('Processing', 'reconcile', T0 + 2000), false, 'the same status again is no change');
    t.equal(await seen('Accepted', 'webhook', T0 + 3000), true);
    t.equal(await seen('Processing', 'read', T0 + 4000), false, 'an older status arriving late is no change');
    t.equal(await seen('Settled', 'reconcile', T0 + 5000, true), true);
    t.equal(await seen('Failed', 'read', T0 + 6000, true), false, 'nothing changes after a final status');

    t.match(await store.get('req-1'), { status: 'Settled', final: true, updatedAt: '2026-01-01T00:00:05.000Z', observedAt: '2026-01-01T00:00:06.000Z' });
    t.same(await store.history('req-1'), [
      { status: 'Initiated', at: '2026-01-01T00:00:00.000Z', source: 'created' },
      { status: 'Processing', at: '2026-01-01T00:00:01.000Z', source: 'read' },
      { status: 'Accepted', at: '2026-01-01T00:00:03.000Z', source: 'webhook' },
      { status: 'Settled', at: '2026-01-01T00:00:05.000Z', source: 'reconcile' },
    ]);
    t.equal(await store.observe('never-created', { status: 'Settled', final: true, source: 'read', at: T0 }), undefined, 'only checkouts created here');
    t.same(
      await store.observe('req-1', { status: 'Settled', final: true, source: 'read', at: T0 + 7000 }),
      { changed: false },
      'no record read when nothing changed',
    );
    t.equal(await store.observe('req-1b', { status: 'Processing', final: false, source: 'read', at: T0 }), undefined, 'not created yet');
    await store.create({ requestId: 'req-1b', referenceId: 'order-1b', at: T0 });
    t.match(
      await store.observe('req-1b', { status: 'Processing', final: false, source: 'read', at: T0 + 1 }),
      {
        changed: true,
        record: { requestId: 'req-1b', referenceId: 'order-1b', status: 'Processing' },
      },
      'the one observer of a change gets the record',
    );
  });

  t.test(`${name}: a reason is kept with its status; delivery attempts are kept, the last few`, async (t) => {
    const store = open(t);
    await store.create({ requestId: 'req-2', referenceId: 'order-2', at: T0 });
    await store.observe('req-2', { status: 'Failed', final: true, reason: 'name mismatch', source: 'reconcile', at: T0 + 1 });
    t.match(await store.get('req-2'), { status: 'Failed', reason: 'name mismatch' });
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      await store.recordDelivery('req-2', {
        webhookId: 'msg_req-2_Failed',
        status: 'Failed',
        attempt,
        at: new Date(T0 + attempt).toISOString(),
        answer: attempt < 5 ? '503' : '200',
        durationMs: 12,
        outcome: attempt < 5 ? 'retrying' : 'delivered',
      });
    }
    t.same(
      (await store.deliveries('req-2')).map((d) => [d.attempt, d.answer, d.outcome]),
      [
        [3, '503', 'retrying'],
        [4, '503', 'retrying'],
        [5, '200', 'delivered'],
      ],
    );
    t.same(await store.findByReference('order-2'), ['req-2']);
    t.same(await store.findByReference('order-none'), []);
  });

  t.test(`${name}: every checkout of one order id is listed, however many there are (more can never hide one)`, async (t) => {
    const store = open(t);
    // The real payment first, then 120 more checkouts with the same (shopper-chosen) referenceId.
    for (let i = 0; i <= 120; i += 1) await store.create({ requestId: `req-${String(i).padStart(3, '0')}`, referenceId: 'order-flood', at: T0 + i });
    const listed: string[] = [];
    let after: ListPosition | undefined;
    for (let page = 0; page < 5; page += 1) {
      const { items, next } = await store.list({ referenceId: 'order-flood', limit: 50, ...(after ? { after } : {}) });
      listed.push(...items.map((item) => item.requestId));
      if (!next) break;
      after = next;
    }
    t.equal(listed.length, 121, 'all 121 listed');
    t.equal(listed.at(-1), 'req-000', 'the oldest (the real payment) among them');
    t.equal((await store.findByReference('order-flood'))[0], 'req-120', 'the newest first');
  });

  t.test(`${name}: what a status read needs of a checkout created here (its final status once seen), and nothing for any other`, async (t) => {
    const store = open(t);
    await store.create({ requestId: 'req-3', referenceId: 'order-3', at: T0 });
    t.same(await store.recordedOf('req-3'), { referenceId: 'order-3' });
    await store.observe('req-3', { status: 'Processing', final: false, source: 'read', at: T0 + 1 });
    t.same(await store.recordedOf('req-3'), { referenceId: 'order-3' }, 'open: no status to answer from');
    await store.observe('req-3', { status: 'Failed', final: true, reason: 'NSF', source: 'read', at: T0 + 2 });
    t.same(await store.recordedOf('req-3'), { referenceId: 'order-3', final: { status: 'Failed', reason: 'NSF' } });
    t.equal(await store.recordedOf('req-elsewhere'), undefined);
  });
}

t.test('memory: a record evicted or expired leaves the index of its order id', async (t) => {
  let clock = T0;
  const store = createMemoryOutcomeStore({ ...LIMITS, maxEntries: 3, now: () => clock });
  for (let i = 0; i < 5; i += 1) await store.create({ requestId: `req-${i}`, referenceId: i < 2 ? 'order-old' : 'order-new', at: T0 + i });
  t.same(await store.findByReference('order-old'), [], 'both evicted by newer records');
  t.same(await store.findByReference('order-new'), ['req-4', 'req-3', 'req-2']);
  clock += LIMITS.retentionMs + 1000;
  t.same(await store.findByReference('order-new'), [], 'expired');
  t.same((await store.list({ referenceId: 'order-new', limit: 50 })).items, []);
  await store.create({ requestId: 'req-3', referenceId: 'order-again', at: clock });
  t.same(await store.findByReference('order-again'), ['req-3'], 'an expired requestId created again is indexed under its new order id');
});

t.test('redis: two stores (two instances) observing one change at once: exactly one sees it as a change', async (t) => {
  const prefix = freshPrefix();
  cleanRedisOnTeardown(t, prefix);
  const connections = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
  t.teardown(() => Promise.all(connections.map((redis) => redis.quit())));
  const [a, b] = connections.map((redis) => createRedisOutcomeStore(redis, prefix, LIMITS));
  if (!a || !b) throw new Error('no stores');
  for (let i = 0; i < 50; i += 1) {
    const requestId = `req-race-${i}`;
    await a.create({ requestId, referenceId: 'order-race', at: T0 });
    const results = await Promise.all([a, b, a, b].map((store) => store.observe(requestId, { status: 'Accepted', final: false, source: 'read', at: T0 + 1 })));
    t.equal(results.filter((result) => result?.changed).length, 1, `round ${i}`);
  }
});
