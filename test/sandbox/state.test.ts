import t from 'tap';
import { createRecordStore } from '../../sandbox/record-store.js';
import { createSandboxState } from '../../sandbox/state.js';
import { bearer, startSandbox } from './helpers.js';

void t.test('a record store evicts the least recently used record when full', (t) => {
  const store = createRecordStore<{ id: string }>({ max: 3, ttlMs: 10_000, now: () => 0 });
  for (const id of ['a', 'b', 'c']) store.set(id, { id });
  t.ok(store.get('a'), 'reading a makes b the least recently used');
  store.set('d', { id: 'd' });
  t.equal(store.size, 3);
  t.equal(store.get('b'), undefined);
  t.ok(store.get('a'));
  t.ok(store.get('d'));
  t.throws(() => createRecordStore({ max: 0, ttlMs: 1000, now: () => 0 }), RangeError);
  t.end();
});

void t.test('a record store reads the injected clock: a record is gone exactly ttlMs after it was set', (t) => {
  let now = 0;
  const store = createRecordStore<{ id: string }>({ max: 10, ttlMs: 5000, now: () => now });
  store.set('a', { id: 'a' });
  now = 2000;
  store.set('b', { id: 'b' });
  now = 4999;
  t.ok(store.get('a'), 'alive 1 ms before its lifetime');
  now = 5000;
  t.equal(store.get('a'), undefined, 'gone at exactly its lifetime (a clock starting at 0 works too)');
  t.ok(store.get('b'), 'each record counts from its own set');
  now = 7000;
  t.equal(store.get('b'), undefined);
  t.end();
});

void t.test('sandbox state keeps at most maxEntries tokens, sessions and payment requests', (t) => {
  const state = createSandboxState({
    now: () => 0,
    tokenTtlSeconds: 299,
    recordTtlSeconds: 60,
    maxEntries: 5,
    stepMs: 1000,
    expiryMs: 900_000,
  });
  const first = state.issueToken();
  for (let i = 0; i < 20; i += 1) {
    const token = state.issueToken();
    const session = state.createSession(
      token,
      {
        amount: 1,
        customerName: 'A B',
        customerEmail: 'a@example.com',
        referenceId: `r${i}`,
      },
      '1.00',
    );
    state.createPayment(session);
  }
  t.same(state.sizes(), { tokens: 5, sessions: 5, payments: 5 });
  t.equal(state.findToken(first.token), undefined, 'the oldest token was evicted');
  t.end();
});

void t.test('over HTTP, the oldest token is evicted once maxEntries is reached (401)', async (t) => {
  const sandbox = await startSandbox(t, { maxEntries: 2 });
  const oldest = await sandbox.authorize();
  await sandbox.authorize();
  const newest = await sandbox.authorize();
  t.equal((await sandbox.initiate(oldest)).status, 401);
  t.equal((await sandbox.initiate(newest)).status, 200);
  t.equal((await sandbox.call('GET', '/api/v1/paymentrequests/none', { headers: bearer(newest) })).status, 404);
});

void t.test('decisions live on their payment record, so they are bounded and evicted with it', async (t) => {
  const sandbox = await startSandbox(t, { maxEntries: 2 });
  const oldest = await sandbox.checkout();
  t.equal((await sandbox.decide(oldest.sessionId, { decision: 'cancel' })).status, 200);
  await sandbox.checkout();
  await sandbox.checkout();
  t.equal((await sandbox.decide(oldest.sessionId, { decision: 'cancel' })).status, 404, 'session evicted');
  t.equal(await sandbox.statusOf(oldest.requestId), 'HTTP 404', 'payment request and its decision evicted');
});
