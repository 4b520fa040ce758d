import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../support/build.js';
import { claims, customer, hs256, postIntent } from './support.js';

/* Without CHECKOUT_SIGNING_SECRET or CHECKOUT_JWKS_URL: amounts from the body, as before; intents are refused. */

t.test('without signing, the body amount is accepted as before', async (t) => {
  const { app, control } = await setUp(t);
  const res = await postCheckout(app, validCheckout({ amount: '49.95', referenceId: 'order-9' }));
  t.equal(res.statusCode, 201);
  t.match(control.calls[1]?.rawBody, /^\{"amount":49\.95,/);
});

t.test('without signing, an intent is 400 "not configured", never silently ignored, and calls nobody', async (t) => {
  const { app, control } = await setUp(t);
  const res = await postIntent(app, hs256(claims()), { 'idempotency-key': 'k-unsigned-0123456789' });
  t.equal(res.statusCode, 400);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.json(), {
    type: 'urn:problem-type:flinks-pay-bff:validation-failed',
    detail: /does not verify signed intents/,
    errors: [{ path: 'intent', message: /not configured/ }],
  });
  t.equal(control.calls.length, 0);
  const retried = await postCheckout(app, validCheckout(), { 'idempotency-key': 'k-unsigned-0123456789' });
  t.equal(retried.statusCode, 201, 'the refused request did not hold the Idempotency-Key');
});

t.test('without signing, exactly one way to give the amount: both or neither is 400', async (t) => {
  const { app, control } = await setUp(t);
  const both = await postCheckout(app, validCheckout({ intent: hs256(claims()) }));
  t.equal(both.statusCode, 400);
  t.match(both.json(), { errors: [{ path: 'amount', message: /must not be sent with an intent/ }] });
  const neither = await postCheckout(app, { customer, referenceId: 'order-1' });
  t.equal(neither.statusCode, 400);
  t.match(neither.json(), { errors: [{ path: 'amount', message: /is required/ }] });
  const nullIntent = await postCheckout(app, validCheckout({ intent: null }));
  t.equal(nullIntent.statusCode, 400);
  t.same(
    nullIntent.json<{ errors: { path: string }[] }>().errors.map((error) => error.path),
    ['intent'],
    'a null intent is the one mistake named',
  );
  const { amount: _amount, ...withoutAmount } = validCheckout({ intent: 42 });
  const numberIntent = await postCheckout(app, withoutAmount);
  t.same(
    numberIntent.json<{ errors: { path: string }[] }>().errors.map((error) => error.path),
    ['intent'],
    'without an amount too',
  );
  t.equal(control.calls.length, 0);
});
