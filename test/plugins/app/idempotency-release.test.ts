import { randomBytes, randomUUID } from 'node:crypto';
import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/*
 * What a forced exit calls (src/server.ts): the claims of checkouts still running are released, so
 * their keys are free at once. The process-level test is test/reliability/shutdown-window.test.ts.
 */
t.test('releaseInFlightClaims frees the keys of checkouts still running, and only those', async (t) => {
  const { app, control } = await setUp(t, { REDIS_URL, REDIS_KEY_PREFIX: `test-${randomUUID()}:` });
  const done = randomBytes(24).toString('base64url');
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': done })).statusCode, 201);

  const running = randomBytes(24).toString('base64url');
  control.inject('paymentrequest', { kind: 'delay', ms: 1500 });
  const slow = postCheckout(app, validCheckout(), { 'idempotency-key': running });
  await control.waitForCall('paymentrequest', 2);
  t.equal((await postCheckout(app, validCheckout(), { 'idempotency-key': running })).statusCode, 409, 'in flight: 409');

  t.equal(await app.releaseInFlightClaims(), 1, 'one claim was in flight');
  const retried = await postCheckout(app, validCheckout(), { 'idempotency-key': running });
  t.equal(retried.statusCode, 201, 'the key is free again');
  const replayed = await postCheckout(app, validCheckout(), { 'idempotency-key': done });
  t.equal(replayed.headers['idempotent-replayed'], 'true', 'a finished checkout keeps its answer');
  t.equal(await app.releaseInFlightClaims(), 0, 'nothing left to release');
  await slow;
});
