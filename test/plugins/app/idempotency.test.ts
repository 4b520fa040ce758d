import FakeTimers from '@sinonjs/fake-timers';
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';
import { sharedRedisEnv } from '../../support/redis.js';

/** Each suite runs in memory and against the Redis at REDIS_URL (its keys removed at the end). */
const STORES: [string, Record<string, string>][] = [
  ['memory', {}],
  ['redis', sharedRedisEnv(t)],
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

  t.test(`[${storeName}] refusals before any Flinks call are not kept: the key can be retried`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const k = key();
    const invalid = await postCheckout(app, validCheckout({ amount: '-1' }), withKey(k));
    t.equal(invalid.statusCode, 400);
    const retried = await postCheckout(app, validCheckout(), withKey(k));
    t.equal(retried.statusCode, 201, 'the same key, with a corrected body, succeeds');
    t.equal(control.count('paymentrequest'), 1);
  });

  for (const step of ['authorize', 'initiate', 'paymentrequest'] as const) {
    t.test(`[${storeName}] a failure at ${step} is kept and replayed, never retried upstream`, async (t) => {
      // The hanging call ends at its deadline: a short one, ample for the calls that answer.
      const { app, control } = await setUp(t, { ...storeEnv, UPSTREAM_TIMEOUT_MS: '300' });
      control.inject(step, { kind: 'hang' });
      const k = key();
      const failed = await postCheckout(app, validCheckout(), withKey(k));
      t.equal(failed.statusCode, 504);
      control.reset();
      const again = await postCheckout(app, validCheckout(), withKey(k));
      t.equal(again.statusCode, 504);
      t.equal(again.body, failed.body);
      t.equal(again.headers['idempotent-replayed'], 'true');
      t.equal(control.calls.length, 0, 'the first response, whichever step failed: no second attempt with this key');
    });
  }

  t.test(`[${storeName}] a 502 is replayed too, with the same body`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    control.inject('authorize', { kind: 'status', status: 500 });
    const k = key();
    const failed = await postCheckout(app, validCheckout(), withKey(k));
    t.equal(failed.statusCode, 502);
    const again = await postCheckout(app, validCheckout(), withKey(k));
    t.equal(again.statusCode, 502);
    t.equal(again.body, failed.body);
    t.equal(control.count('authorize'), 1, 'Flinks was called once');
  });

  t.test(`[${storeName}] a key someone else used first, with another body, neither blocks nor reads the real checkout`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const k = `order-${randomUUID()}`;
    const post = (body: unknown, remoteAddress: string) => postCheckout(app, body, withKey(k), remoteAddress);
    const attackerBody = validCheckout({ amount: '1.00', customer: { firstName: 'Mallory', lastName: 'Guess', email: 'm@example.com' } });
    const shopperBody = validCheckout({ amount: '250.00' });

    const squatted = await post(attackerBody, '203.0.113.66');
    t.equal(squatted.statusCode, 201, "the guesser's own checkout");
    const real = await post(shopperBody, '198.51.100.7');
    t.equal(real.statusCode, 201, 'the real checkout goes through: no 422 for a key someone else used first');
    t.not(real.json<{ requestId: string }>().requestId, squatted.json<{ requestId: string }>().requestId);
    t.equal(real.headers['idempotent-replayed'], undefined, "not the guesser's answer");

    control.reset();
    const retried = await post(shopperBody, '198.51.100.7');
    t.equal(retried.body, real.body, "the shopper's retry replays the shopper's checkout");
    const peek = await post(validCheckout({ amount: '250.00', customer: { firstName: 'Mallory', lastName: 'Peek', email: 'p@example.com' } }), '192.0.2.99');
    t.equal(peek.statusCode, 201);
    t.not(
      peek.json<{ requestId: string }>().requestId,
      real.json<{ requestId: string }>().requestId,
      'the key without the exact body does not read the checkout',
    );
    t.equal(control.count('paymentrequest'), 1, 'only the peek (a checkout of its own) reached Flinks');
  });

  t.test(`[${storeName}] a retry from another address (a phone changing networks) still replays`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const k = key();
    const post = (remoteAddress: string) => postCheckout(app, validCheckout(), withKey(k), remoteAddress);
    const first = await post('198.51.100.7');
    t.equal(first.statusCode, 201);
    control.reset();
    const again = await post('192.0.2.44');
    t.equal(again.body, first.body);
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.equal(control.calls.length, 0, 'no second payment');
  });

  /**
   * An app and a key whose one checkout (10.00) was refused before any Flinks call: a 503 while the
   * circuit was open, which kept nothing. The circuit has closed again when it resolves.
   */
  async function keyRefusedBeforeAnyCall(t: Test) {
    const { app, control } = await setUp(t, { ...storeEnv, CIRCUIT_FAILURE_THRESHOLD: '1', CIRCUIT_HALF_OPEN_MS: '1000' });
    // The circuit's clock is Date: stopped, so that on a busy machine the keyed request still finds
    // the circuit open, then moved past the pause instead of waiting it out.
    const clock = FakeTimers.install({ toFake: ['Date'], now: Date.now() });
    t.teardown(() => {
      clock.uninstall();
    });
    const k = key();
    // One failed checkout without a key opens the circuit: the keyed one is refused before any call.
    control.inject('authorize', { kind: 'status', status: 500 });
    t.equal((await postCheckout(app, validCheckout())).statusCode, 502);
    t.equal((await postCheckout(app, validCheckout({ amount: '10.00' }), withKey(k))).statusCode, 503, 'circuit open: the key is bound, its slot given back');
    clock.tick(1050);
    return { app, control, k };
  }

  t.test(`[${storeName}] after a refusal that kept nothing, the same client may send the key with another body`, async (t) => {
    const { app, k } = await keyRefusedBeforeAnyCall(t);
    t.equal((await postCheckout(app, validCheckout({ amount: '11.00' }), withKey(k))).statusCode, 201);
    t.equal((await postCheckout(app, validCheckout({ amount: '12.00' }), withKey(k))).statusCode, 422, 'but not once it made a checkout');
  });

  t.test(`[${storeName}] after a refusal that kept nothing, two other bodies sent with the key at once make one checkout`, async (t) => {
    const { app, control, k } = await keyRefusedBeforeAnyCall(t);
    const before = control.count('paymentrequest');
    const answers = await Promise.all(['20.00', '30.00'].map((amount) => postCheckout(app, validCheckout({ amount }), withKey(k))));
    t.same(answers.map((answer) => answer.statusCode).sort(), [201, 422], 'one checkout; the other body is a reuse of the key');
    t.equal(control.count('paymentrequest') - before, 1, 'one payment request reached Flinks');
  });

  t.test(`[${storeName}] a key refused as reused leaves nothing behind: another client may send that body with it`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const k = key();
    const post = (body: unknown, remoteAddress: string) => postCheckout(app, body, withKey(k), remoteAddress);
    const [first, second] = [validCheckout({ amount: '20.00' }), validCheckout({ amount: '21.00' })];
    t.equal((await post(first, '198.51.100.7')).statusCode, 201);
    t.equal((await post(second, '198.51.100.7')).statusCode, 422, 'the same client reusing the key for another body');
    // The key and the second body were bound and claimed in one round trip; the 422 gave the claim back.
    const other = await post(second, '192.0.2.44');
    t.equal(other.statusCode, 201, 'not a 409 from a claim the refused request kept');
    t.equal(control.count('paymentrequest'), 2);
  });

  t.test(`[${storeName}] the same client is judged as rate limits judge it: an IPv6 /64, an IPv4-mapped address as IPv4`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    const post = (k: string, amount: string, remoteAddress: string) => postCheckout(app, validCheckout({ amount }), withKey(k), remoteAddress);
    const [v6, v4] = [key(), key()];
    t.equal((await post(v6, '20.00', '2001:db8:1:2::1')).statusCode, 201);
    t.equal((await post(v6, '21.00', '2001:db8:1:2::2')).statusCode, 422, 'a new privacy address of the same /64 reusing the key');
    t.equal((await post(v4, '20.00', '::ffff:198.51.100.9')).statusCode, 201);
    t.equal((await post(v4, '21.00', '198.51.100.9')).statusCode, 422, 'the IPv4-mapped address and the plain one are one client');
    t.equal(control.count('paymentrequest'), 2);
  });

  t.test(`[${storeName}] checkouts without a key are never deduplicated`, async (t) => {
    const { app, control } = await setUp(t, storeEnv);
    await postCheckout(app, validCheckout());
    await postCheckout(app, validCheckout());
    t.equal(control.count('paymentrequest'), 2);
  });
}

t.test('any key of 1-255 visible characters works, a one-character key included: its retry replays', async (t) => {
  const { app, control } = await setUp(t);
  for (const key of ['k', '1001', 'order-1001']) {
    const first = await postCheckout(app, validCheckout({ referenceId: `ref-${key}` }), { 'idempotency-key': key });
    t.equal(first.statusCode, 201, key);
    const again = await postCheckout(app, validCheckout({ referenceId: `ref-${key}` }), { 'idempotency-key': key });
    t.equal(again.statusCode, 201, `${key} again`);
    t.same(again.json(), first.json(), 'the first answer');
    t.equal(again.headers['idempotent-replayed'], 'true');
  }
  t.equal(control.count('paymentrequest'), 3, 'one payment request per key');
});

t.test('a malformed Idempotency-Key answers 400 naming the header', async (t) => {
  const { app, control } = await setUp(t);
  for (const bad of ['has space', 'x'.repeat(256), 'tab\tkey', 'é']) {
    const res = await postCheckout(app, validCheckout(), { 'idempotency-key': bad });
    t.equal(res.statusCode, 400, JSON.stringify(bad));
    t.match(res.json(), { detail: 'The headers have 1 invalid field: idempotency-key.', errors: [{ path: 'idempotency-key' }] });
  }
  t.equal(control.calls.length, 0);
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': 'x'.repeat(255) })).statusCode, 201);
});
