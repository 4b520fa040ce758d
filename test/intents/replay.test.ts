import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import t from 'tap';
import { buildTestApp, postCheckout, setUp, startSandbox } from '../support/build.js';
import { sharedRedisEnv } from '../support/redis.js';
import type { Teardownable } from '../support/sandbox.js';
import { claims, customer, hs256, postIntent, SIGNED_ENV, withIntent } from './support.js';

/*
 * An intent's jti is the idempotency key of its checkout (`intent:<jti>` in the shared store): the
 * same intent twice is one payment request, in memory and on Redis, on one instance or several.
 */

const STORES: [string, (t: Teardownable) => Record<string, string>][] = [
  ['memory', () => ({})],
  ['redis', sharedRedisEnv],
];

for (const [storeName, storeEnv] of STORES) {
  const env = (t: Teardownable) => ({ ...SIGNED_ENV, ...storeEnv(t) });

  t.test(`[${storeName}] the same intent twice: one payment request, the first answer replayed byte for byte`, async (t) => {
    const { app, control } = await setUp(t, env(t));
    const intent = hs256(claims());
    const first = await postIntent(app, intent);
    t.equal(first.statusCode, 201);
    const again = await postIntent(app, intent);
    t.equal(again.statusCode, 201);
    t.equal(again.body, first.body);
    t.equal(again.headers.location, first.headers.location);
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.equal(control.count('paymentrequest'), 1);
    t.equal(control.count('initiate'), 1);
  });

  t.test(`[${storeName}] an Idempotency-Key beside an intent changes nothing: the jti is the key`, async (t) => {
    const { app, control } = await setUp(t, env(t));
    const intent = hs256(claims());
    const first = await postIntent(app, intent, { 'idempotency-key': randomUUID() });
    const again = await postIntent(app, intent, { 'idempotency-key': randomUUID() });
    t.equal(again.body, first.body, 'another header key does not buy a second payment');
    const other = await postIntent(app, hs256(claims()), { 'idempotency-key': 'shared-key' });
    const otherToo = await postIntent(app, hs256(claims()), { 'idempotency-key': 'shared-key' });
    t.equal(other.statusCode, 201);
    t.equal(otherToo.statusCode, 201, 'two intents are two checkouts, whatever the header says');
    t.not(otherToo.body, other.body);
    t.equal(control.count('paymentrequest'), 3);
  });

  t.test(`[${storeName}] the same checkout signed again (a later exp, another iat) replays the first answer`, async (t) => {
    const { app, control } = await setUp(t, env(t));
    const jti = randomUUID();
    const first = await postIntent(app, hs256(claims({ jti, amount: '100.00', referenceId: 'order-77' })));
    t.equal(first.statusCode, 201);
    control.reset();
    const resigned = hs256(claims({ jti, amount: '100.00', referenceId: 'order-77', exp: Math.floor(Date.now() / 1000) + 660 }));
    const again = await postIntent(app, resigned);
    t.equal(again.statusCode, 201);
    t.equal(again.body, first.body, 'the first checkout, not a second one');
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.equal(control.calls.length, 0, 'nothing reaches Flinks');
  });

  t.test(`[${storeName}] another intent with a used jti, or the same intent with other details, is 422`, async (t) => {
    const { app, control } = await setUp(t, env(t));
    const jti = randomUUID();
    t.equal((await postIntent(app, hs256(claims({ jti, amount: '100.00' })))).statusCode, 201);
    control.reset();
    const reminted = await postIntent(app, hs256(claims({ jti, amount: '0.01' })));
    t.equal(reminted.statusCode, 422);
    t.match(reminted.headers['content-type'], /^application\/problem\+json/);
    t.match(reminted.json(), {
      status: 422,
      type: /idempotency-mismatch$/,
      detail: /jti was already used for a checkout with another amount, referenceId or customer/,
    });
    const sameIntent = hs256(claims({ jti: randomUUID() }));
    t.equal((await postIntent(app, sameIntent)).statusCode, 201);
    control.reset();
    const otherShopper = await postCheckout(app, withIntent(sameIntent, { customer: { ...customer, lastName: 'Roe' } }));
    t.equal(otherShopper.statusCode, 422, 'an intent is for one checkout, not for whoever holds it');
    t.equal(control.calls.length, 0);
  });

  t.test(`[${storeName}] a double click: the same intent twice at once is one payment request`, async (t) => {
    const { app, control } = await setUp(t, { ...env(t), UPSTREAM_TIMEOUT_MS: '2000' });
    control.inject('paymentrequest', { kind: 'delay', ms: 300 });
    const intent = hs256(claims());
    const first = postIntent(app, intent);
    await control.waitForCall('initiate');
    const second = await postIntent(app, intent);
    t.equal(second.statusCode, 409);
    t.equal(second.headers['retry-after'], '1');
    t.match(second.json(), { detail: /checkout with this intent is still being processed/ });
    const done = await first;
    t.equal(done.statusCode, 201);
    t.equal((await postIntent(app, intent)).body, done.body, 'the retry replays the winner');
    t.equal(control.count('paymentrequest'), 1);
  });

  t.test(`[${storeName}] an intent whose checkout failed at authorize replays that failure: a new checkout needs a new intent`, async (t) => {
    const { app, control } = await setUp(t, env(t));
    const intent = hs256(claims());
    control.inject('authorize', { kind: 'status', status: 500 });
    const failed = await postIntent(app, intent);
    t.equal(failed.statusCode, 502);
    const again = await postIntent(app, intent);
    t.equal(again.statusCode, 502);
    t.equal(again.body, failed.body);
    t.equal(control.count('authorize'), 1, 'Flinks was called once');
    t.equal((await postIntent(app, hs256(claims({ jti: 'another-jti-0001' })))).statusCode, 201, 'a new intent pays');
  });

  t.test(`[${storeName}] a failure once Flinks may have created a payment is kept for the intent`, async (t) => {
    const { app, control } = await setUp(t, env(t));
    const intent = hs256(claims());
    control.inject('paymentrequest', { kind: 'status', status: 500 });
    const failed = await postIntent(app, intent);
    t.equal(failed.statusCode, 502);
    control.reset();
    const again = await postIntent(app, intent);
    t.equal(again.statusCode, 502);
    t.equal(again.body, failed.body);
    t.equal(control.calls.length, 0, 'never a second try upstream for that intent');
  });
}

t.test('two instances sharing Redis: one intent, whichever instance gets it, is one payment request', async (t) => {
  const sandbox = await startSandbox(t);
  const env = { ...SIGNED_ENV, ...sharedRedisEnv(t), UPSTREAM_TIMEOUT_MS: '2000' };
  const [a, b] = await Promise.all([buildTestApp(t, sandbox, env), buildTestApp(t, sandbox, env)]);
  const intent = hs256(claims());
  const first = await postIntent(a, intent);
  t.equal(first.statusCode, 201);
  const onB = await postIntent(b, intent);
  t.equal(onB.body, first.body, 'the other instance replays the first answer');
  t.equal(onB.headers['idempotent-replayed'], 'true');
  for (let round = 0; round < 5; round++) {
    sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 50 });
    const racing = hs256(claims());
    const results = await Promise.all([postIntent(a, racing), postIntent(b, racing)]);
    const statuses = results.map((res) => res.statusCode).sort();
    t.ok(statuses[0] === 201 && (statuses[1] === 201 || statuses[1] === 409), `round ${round}: ${statuses.join(', ')}`);
  }
  t.equal(sandbox.control.count('paymentrequest'), 6, 'one payment request per intent');
});

t.test('while Redis is unreachable an intent checkout answers 503: one payment per jti cannot be promised', async (t) => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  const port = address !== null && typeof address === 'object' ? address.port : 1;
  const { app, control } = await setUp(t, { ...SIGNED_ENV, REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'test-down:' });
  const res = await postIntent(app, hs256(claims()));
  t.equal(res.statusCode, 503);
  t.match(res.json(), { type: /idempotency-unavailable$/ });
  t.equal(control.calls.length, 0);
});
