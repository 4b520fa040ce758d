import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { captureLogs, postCheckout, setUp, validCheckout } from '../support/build.js';
import { claims, customer, hs256, initiateBody, nowSeconds, postIntent, SECRET, SIGNED_ENV, withIntent } from './support.js';

/*
 * With CHECKOUT_SIGNING_SECRET set, the amount comes only from a valid HS256 intent. Every refusal
 * is a 4xx problem+json and reaches nobody upstream.
 */

t.test('a valid intent → 201, and the signed amount and referenceId reach Flinks exactly', async (t) => {
  const { app, control } = await setUp(t, SIGNED_ENV);
  for (const [amount, literal] of [
    ['12.34', '12.34'],
    ['25.5', '25.50'],
    ['1000000', '1000000.00'],
    ['0.01', '0.01'],
  ] as const) {
    control.reset();
    const res = await postIntent(app, hs256(claims({ amount, referenceId: 'order-42' })));
    t.equal(res.statusCode, 201, `amount ${amount}`);
    t.match(res.json(), { requestId: String, launchUrl: /sessionId=/ });
    t.same(
      control.calls.map((call) => call.step),
      ['authorize', 'initiate', 'paymentrequest'],
    );
    const sent = initiateBody(control.calls);
    t.match(sent, new RegExp(`^\\{"amount":${literal.replace('.', '\\.')},`), `${amount} is sent as the literal ${literal}`);
    t.match(JSON.parse(sent), { referenceId: 'order-42', customerName: 'Jane Doe', customerEmail: 'jane@example.com' });
  }
});

t.test('a valid intent is read back with its referenceId on GET /checkout/{id}', async (t) => {
  const { app } = await setUp(t, SIGNED_ENV);
  const created = (await postIntent(app, hs256(claims({ referenceId: 'order-77' })))).json<{ requestId: string }>();
  const status = await app.inject({ url: `/checkout/${created.requestId}` });
  t.match(status.json(), { referenceId: 'order-77', status: 'Initiated' });
});

t.test('intents within the clock skew (30 s) are accepted, but an expired one never is', async (t) => {
  const { app } = await setUp(t, SIGNED_ENV);
  const now = nowSeconds();
  for (const ago of [1, 10]) {
    const expired = await postIntent(app, hs256(claims({ iat: now - 300, exp: now - ago })));
    t.equal(expired.statusCode, 401, `expired ${ago} s ago`);
    t.match(expired.json(), { type: /invalid-intent$/, detail: /expired/ });
  }
  const cases = {
    'nbf 20 s ahead': claims({ nbf: now + 20 }),
    'iat 20 s ahead': claims({ iat: now + 20, exp: now + 600 }),
    'exp exactly 15 min after iat': claims({ iat: now, exp: now + 900 }),
    'exp 15 min + 20 s ahead, no iat': claims({ iat: undefined, exp: now + 920 }),
    'extra claims (iss, aud, sub)': claims({ iss: 'shop', aud: 'bff', sub: 'cart-1' }),
  };
  for (const [label, payload] of Object.entries(cases)) {
    t.equal((await postIntent(app, hs256(payload))).statusCode, 201, label);
  }
});

/** Each case: a label, the intent, the `reason` of the logged error (shown in the detail as text). */
function attacks(): [string, string, RegExp][] {
  const now = nowSeconds();
  const valid = hs256(claims());
  const [header = '', payload = '', signature = ''] = valid.split('.');
  const tamperedPayload = Buffer.from(JSON.stringify({ ...claims(), amount: '0.01' })).toString('base64url');
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    ['a tampered payload (amount lowered, old signature)', `${header}.${tamperedPayload}.${signature}`, /signature does not verify/],
    ['a tampered header (typ changed, old signature)', `${b64({ alg: 'HS256', typ: 'jwt' })}.${payload}.${signature}`, /signature does not verify/],
    ['a wrong secret', hs256(claims(), { secret: 'another-secret-of-at-least-32-bytes-long!' }), /signature does not verify/],
    ['a truncated signature', `${header}.${payload}.${signature.slice(0, 20)}`, /signature does not verify/],
    ['alg none without a signature', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, /alg must be one of HS256/],
    ['alg none with the old signature', `${b64({ alg: 'none' })}.${payload}.${signature}`, /alg must be one of HS256/],
    ['alg NONE in capitals', `${b64({ alg: 'NONE' })}.${payload}.`, /alg must be one of HS256/],
    ['HS512 with the right secret', hs256(claims(), { header: { alg: 'HS512' } }), /alg must be one of HS256/],
    ['RS256 header', hs256(claims(), { header: { alg: 'RS256' } }), /alg must be one of HS256/],
    ['HS256 keyed with a public key PEM (key confusion)', hs256(claims(), { secret: publicPem }), /signature does not verify/],
    ['no alg at all', hs256(claims(), { header: { typ: 'JWT' } }), /alg must be one of HS256/],
    ['an unknown crit extension', hs256(claims(), { header: { alg: 'HS256', crit: ['x-extra'], 'x-extra': 1 } }), /header is not accepted/],
    ['an unencoded payload (b64: false)', hs256(claims(), { header: { alg: 'HS256', b64: false, crit: ['b64'] } }), /not a well-formed JWS/],
    ['expired a minute ago', hs256(claims({ iat: now - 600, exp: now - 60 })), /expired at/],
    ['exp 16 minutes ahead', hs256(claims({ iat: now, exp: now + 16 * 60 })), /more than 15 minutes from now/],
    ['exp 20 minutes after an iat in the past', hs256(claims({ iat: now - 10 * 60, exp: now + 10 * 60 })), /more than 15 minutes after iat/],
    ['exp a year ahead, no iat', hs256(claims({ iat: undefined, exp: now + 365 * 86_400 })), /more than 15 minutes from now/],
    ['nbf a minute ahead', hs256(claims({ nbf: now + 60 })), /not valid before/],
    ['iat a minute ahead', hs256(claims({ iat: now + 60, exp: now + 600 })), /issued in the future/],
    ['no amount claim', hs256(claims({ amount: undefined })), /claim amount is missing/],
    ['no referenceId claim', hs256(claims({ referenceId: undefined })), /claim referenceId is missing/],
    ['no jti claim', hs256(claims({ jti: undefined })), /claim jti is missing/],
    ['no exp claim', hs256(claims({ exp: undefined })), /claim exp is missing/],
    ['a numeric amount claim', hs256(claims({ amount: 12.34 })), /claim amount must be a decimal string/],
    ['an amount claim with 3 decimals', hs256(claims({ amount: '12.345' })), /claim amount must be a positive CAD amount/],
    ['a zero amount claim', hs256(claims({ amount: '0.00' })), /claim amount must be greater than 0/],
    ['an amount claim above the maximum', hs256(claims({ amount: '1000000.01' })), /claim amount must be at most/],
    ['a negative amount claim', hs256(claims({ amount: '-12.34' })), /claim amount must be a positive CAD amount/],
    ['a referenceId claim with a slash', hs256(claims({ referenceId: 'a/b' })), /claim referenceId must be 1-64/],
    ['an empty jti', hs256(claims({ jti: '' })), /claim jti must be 1-128/],
    ['a numeric jti', hs256(claims({ jti: 42 })), /claim jti must be a string/],
    ['exp as a string', hs256(claims({ exp: String(now + 600) })), /claim exp must be a NumericDate/],
    ['a fractional exp', hs256(claims({ exp: now + 600.5 })), /claim exp must be whole seconds/],
    ['a claims set that is an array', hs256([1, 2]), /not a compact JWS/],
    ['a claims set that is not JSON', `${header}.${Buffer.from('amount=1').toString('base64url')}.${signature}`, /not a compact JWS/],
    ['two parts only', `${header}.${payload}`, /not a compact JWS/],
    ['four parts', `${valid}.${signature}`, /not a compact JWS/],
    ['plain text', 'hello', /not a compact JWS/],
    ['three dots', '...', /not a compact JWS/],
    ['non-base64url characters', `${header}.${payload}.${signature}!`, /not a signed compact JWS/],
    ['a JWE-like token (5 parts)', `${header}..${payload}.${signature}.tag`, /not a compact JWS/],
    ['whitespace around it', ` ${valid} `, /not a signed compact JWS/],
    ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.${payload}.${signature}`, /not a compact JWS/],
  ];
}

t.test('every attack on the intent answers 401 problem+json and calls nobody upstream', async (t) => {
  const { app, control } = await setUp(t, SIGNED_ENV);
  for (const [label, intent, detail] of attacks()) {
    const res = await postIntent(app, intent);
    t.equal(res.statusCode, 401, label);
    t.match(res.headers['content-type'], /^application\/problem\+json/, label);
    t.match(res.headers['www-authenticate'], /^CheckoutIntent /, `${label}: a challenge comes with the 401`);
    t.match(
      res.json(),
      { type: 'urn:problem-type:flinks-pay-bff:invalid-intent', title: 'Invalid checkout intent', status: 401, detail, instance: '/checkout' },
      label,
    );
  }
  t.equal(control.calls.length, 0, 'nothing reached Flinks');
});

t.test('with signing on, an amount without an intent is 400 "a signed intent is required"', async (t) => {
  const { app, control } = await setUp(t, SIGNED_ENV);
  for (const body of [validCheckout(), validCheckout({ referenceId: 'order-1' }), validCheckout({ amount: 0.01 })]) {
    const res = await postCheckout(app, body, { 'idempotency-key': 'k-1-0123456789abcdef' });
    t.equal(res.statusCode, 400);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json(), {
      type: 'urn:problem-type:flinks-pay-bff:validation-failed',
      detail: /signed intent is required/,
      errors: [{ path: 'intent', message: /required/ }],
    });
  }
  const neither = await postCheckout(app, { customer });
  t.equal(neither.statusCode, 400);
  t.match(neither.json(), { errors: [{ path: 'amount', message: /or send a signed intent/ }] });
  t.equal(control.calls.length, 0);
});

t.test('an amount or referenceId in the body beside an intent is 400, before the intent is even checked', async (t) => {
  const { app, control } = await setUp(t, SIGNED_ENV);
  const intent = hs256(claims({ amount: '100.00' }));
  const both = await postCheckout(app, withIntent(intent, { amount: '0.01' }));
  t.equal(both.statusCode, 400);
  t.match(both.json(), { errors: [{ path: 'amount', message: /must not be sent with an intent/ }] });
  const reference = await postCheckout(app, withIntent(intent, { referenceId: 'other-order' }));
  t.equal(reference.statusCode, 400);
  t.match(reference.json(), { errors: [{ path: 'referenceId', message: /intent carries the referenceId/ }] });
  const unknown = await postCheckout(app, withIntent(intent, { amout: '1.00' }));
  t.equal(unknown.statusCode, 400, 'unknown fields are still refused');
  t.match(unknown.json(), { errors: [{ path: 'amout' }] });
  for (const bad of ['', 'x'.repeat(4097), 42, null, ['a.b.c']]) {
    t.equal((await postCheckout(app, withIntent(bad as string))).statusCode, 400, `intent ${JSON.stringify(bad).slice(0, 20)}`);
  }
  t.equal(control.calls.length, 0);
  t.equal((await postIntent(app, intent)).statusCode, 201, 'the same intent alone is fine');
});

t.test('the problem detail never echoes the intent, and the log never holds it', async (t) => {
  const logs = captureLogs();
  const { app } = await setUp(t, { ...SIGNED_ENV, LOG_LEVEL: 'info' }, { logStream: logs.stream });
  const forged = hs256(claims({ amount: '0.01' }), { secret: 'x'.repeat(40) });
  const res = await postIntent(app, forged);
  t.equal(res.statusCode, 401);
  t.notMatch(res.body, forged.split('.')[2] ?? 'x');
  const lines = logs.lines().join('\n');
  t.notMatch(lines, forged.split('.')[1] ?? 'x', 'the token is not logged');
  t.notMatch(lines, SECRET, 'nor the secret');
  t.match(lines, /"reason":"signature"/, 'the reason is logged for monitoring');
});
