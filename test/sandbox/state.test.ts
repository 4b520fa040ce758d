import t from 'tap';
import { BoundedMap } from '../../sandbox/bounded-map.js';
import { createSandboxState } from '../../sandbox/state.js';
import { bearer, startSandbox } from './helpers.js';

void t.test('a bounded map evicts the oldest entry when full', (t) => {
  const map = new BoundedMap<{ expiresAt: number }>(3, () => 0);
  for (const key of ['a', 'b', 'c', 'd']) map.set(key, { expiresAt: 10 });
  t.equal(map.size, 3);
  t.equal(map.get('a'), undefined);
  t.ok(map.get('d'));
  t.throws(() => new BoundedMap(0, () => 0), RangeError);
  t.end();
});

void t.test('a bounded map drops expired entries on read and on write', (t) => {
  let now = 0;
  const map = new BoundedMap<{ expiresAt: number }>(10, () => now);
  // Same TTL for every entry, as in the sandbox: insertion order is expiry order.
  map.set('a', { expiresAt: 5 });
  map.set('b', { expiresAt: 6 });
  map.set('c', { expiresAt: 50 });
  now = 5;
  t.equal(map.get('a'), undefined, 'expired exactly at expiresAt');
  t.ok(map.get('b'));
  now = 6;
  map.set('d', { expiresAt: 60 });
  t.equal(map.size, 2, 'expired entries at the front were swept');
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
    const session = state.createSession(token, {
      amount: 1,
      firstName: 'A',
      lastName: 'B',
      customerEmail: 'a@example.com',
      referenceId: `r${i}`,
    }, '1.00');
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
