import { randomUUID } from 'node:crypto';
import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';

/** Each suite runs in memory and, when Redis answers at REDIS_URL (CI always), against Redis. */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const STORES: [string, Record<string, string>][] = [
  ['memory', {}],
  ['redis', { REDIS_URL, REDIS_KEY_PREFIX: `test-${randomUUID()}:` }],
];

for (const [storeName, storeEnv] of STORES) {
  const key = () => randomUUID();
  const withKey = (idempotencyKey: string) => ({ 'idempotency-key': idempotencyKey });

  t.test(`[${storeName}] the same key and body replay the first response byte for byte, with no upstream call`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const k = key();
    const first = await postCheckout(app, validCheckout(), withKey(k));
    t.equal(first.statusCode, 201);
    t.equal(first.headers['idempotent-replayed'], undefined);
    control.reset();
    const again = await postCheckout(app, validCheckout({ amount: 12.34 }), withKey(k));
    t.equal(again.statusCode, 201);
    t.equal(again.body, first.body, 'same bytes');
    t.equal(again.headers.location, first.headers.location);
    t.equal(again.headers['content-type'], first.headers['content-type']);
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.not(again.headers['x-request-id'], first.headers['x-request-id'], 'the replay is still its own request');
    t.equal(control.calls.length, 0, 'no upstream call on replay');
  });

  t.test(`[${storeName}] the same key with another body answers 422 and calls nobody`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const k = key();
    t.equal((await postCheckout(app, validCheckout(), withKey(k))).statusCode, 201);
    control.reset();
    const other = await postCheckout(app, validCheckout({ amount: '99.00' }), withKey(k));
    t.equal(other.statusCode, 422);
    t.match(other.headers['content-type'], /^application\/problem\+json/);
    t.match(other.json(), { status: 422, title: 'Idempotency key reused', detail: /different request body/ });
    t.equal(control.calls.length, 0);
  });

  t.test(`[${storeName}] the same key while the first request runs answers 409, then replays`, async (t) => {
    const { app, control } = await setUp(t, { ...storeEnv, UPSTREAM_TIMEOUT_MS: '2000' });
    control.inject('paymentrequest', { kind: 'delay', ms: 400 });
    const k = key();
    const first = postCheckout(app, validCheckout(), withKey(k));
    await control.waitForCall('initiate');
    const concurrent = await postCheckout(app, validCheckout(), withKey(k));
    t.equal(concurrent.statusCode, 409);
    t.equal(concurrent.headers['retry-after'], '1');
    t.match(concurrent.json(), { status: 409, detail: /still being processed/ });
    const done = await first;
    t.equal(done.statusCode, 201);
    const later = await postCheckout(app, validCheckout(), withKey(k));
    t.equal(later.body, done.body);
    t.equal(control.count('paymentrequest'), 1, 'exactly one payment request upstream');
  });

  t.test(`[${storeName}] failures before Flinks created anything are not kept: the key can be retried`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const k = key();
    const invalid = await postCheckout(app, validCheckout({ amount: '-1' }), withKey(k));
    t.equal(invalid.statusCode, 400);
    control.inject('authorize', { kind: 'status', status: 500 });
    t.equal((await postCheckout(app, validCheckout(), withKey(k))).statusCode, 502, 'authorize failed');
    control.inject('authorize', { kind: 'hang' });
    t.equal((await postCheckout(app, validCheckout(), withKey(k))).statusCode, 504, 'authorize timed out');
    const retried = await postCheckout(app, validCheckout(), withKey(k));
    t.equal(retried.statusCode, 201, 'the same key now succeeds');
    t.equal(control.count('paymentrequest'), 1);
  });

  for (const step of ['initiate', 'paymentrequest'] as const) {
    t.test(`[${storeName}] a failure at ${step} is kept and replayed, never retried upstream`, async (t) => {
      const { app, control } = await setUp(t, storeEnv);
      control.inject(step, { kind: 'hang' });
      const k = key();
      const failed = await postCheckout(app, validCheckout(), withKey(k));
      t.equal(failed.statusCode, 504);
      control.reset();
      const again = await postCheckout(app, validCheckout(), withKey(k));
      t.equal(again.statusCode, 504);
      t.equal(again.body, failed.body);
      t.equal(again.headers['idempotent-replayed'], 'true');
      t.equal(control.calls.length, 0, 'Flinks may have created a payment: no second attempt with this key');
    });
  }

  t.test(`[${storeName}] checkouts without a key are never deduplicated`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    await postCheckout(app, validCheckout());
    await postCheckout(app, validCheckout());
    t.equal(control.count('paymentrequest'), 2);
  });
}

t.test('a malformed Idempotency-Key answers 400 naming the header', async (t) => {
  const { app, control } = await setUp(t);
  for (const bad of ['has space', 'x'.repeat(256), 'tab\tkey', 'é']) {
    const res = await postCheckout(app, validCheckout(), { 'idempotency-key': bad });
    t.equal(res.statusCode, 400, JSON.stringify(bad));
    t.match(res.json(), { errors: [{ path: 'idempotency-key' }] });
  }
  t.equal(control.calls.length, 0);
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': 'x'.repeat(255) })).statusCode, 201);
});
