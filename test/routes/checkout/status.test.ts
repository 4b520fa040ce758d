import t from 'tap';
import { PAYMENT_STATUSES, type PaymentStatus } from '../../../src/upstream/flinks-pay/schemas.js';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';

const FINAL: PaymentStatus[] = ['Settled', 'Cancelled', 'Expired', 'Declined', 'Failed'];
/** For tests of what each read does upstream: the status cache (on by default) off. */
const uncached = { STATUS_CACHE_MS: '0' };

async function createCheckout(app: Awaited<ReturnType<typeof setUp>>['app'], referenceId = 'order-7') {
  const res = await postCheckout(app, validCheckout({ referenceId }));
  t.equal(res.statusCode, 201);
  return res.json<{ requestId: string }>().requestId;
}

t.test('GET /checkout/{requestId} reports each of the nine Flinks statuses and whether it is final', async (t) => {
  const { app, control } = await setUp(t, uncached);
  // A checkout each: once a final status was seen, it is the answer for good.
  for (const status of PAYMENT_STATUSES) {
    const requestId = await createCheckout(app);
    t.ok(control.setStatus(requestId, status));
    const res = await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
    t.equal(res.statusCode, 200, status);
    t.match(res.headers['content-type'], /^application\/json/);
    const expected = { requestId, status, referenceId: 'order-7', final: FINAL.includes(status) };
    if (status === 'Failed') {
      // Flinks says why a payment Failed (statusDetails); the merchant gets it as `reason`.
      const { reason, ...rest } = res.json<{ reason?: string }>();
      t.same(rest, expected, status);
      t.match(reason, /name on the bank account does not match/, 'Failed carries the reason Flinks gave');
    } else {
      t.same(res.json(), expected, status);
    }
  }
});

t.test('GET /checkout/{requestId} starts at Initiated and reuses one status token across reads', async (t) => {
  const { app, control } = await setUp(t, uncached);
  const requestId = await createCheckout(app);
  control.reset();
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
    t.match(res.json(), { status: 'Initiated', final: false });
  }
  t.same(
    control.calls.map((c) => c.step),
    ['authorize', 'status', 'status', 'status'],
  );
  const tokens = new Set(control.calls.filter((c) => c.step === 'status').map((c) => c.headers.authorization));
  t.equal(tokens.size, 1);
});

t.test('GET /checkout/{requestId} authorizes again once when the status token is refused', async (t) => {
  const { app, control } = await setUp(t, uncached);
  const requestId = await createCheckout(app);
  await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  control.reset();
  control.inject('status', { kind: 'status', status: 401 });
  const res = await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  t.equal(res.statusCode, 200);
  t.same(
    control.calls.map((c) => c.step),
    ['status', 'authorize', 'status'],
  );
});

t.test('GET /checkout/{requestId} answers 404 problem+json for an id Flinks does not know', async (t) => {
  const { app } = await setUp(t);
  const res = await app.inject({ method: 'GET', url: '/checkout/00000000-0000-4000-8000-000000000000' });
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.json(), { status: 404, title: 'Checkout not found', instance: '/checkout/00000000-0000-4000-8000-000000000000' });
});

t.test('GET /checkout/{requestId} answers 429 once a client has collected too many 404s', async (t) => {
  const { app, control } = await setUp(t, { STATUS_NOT_FOUND_LIMIT: '3' });
  const requestId = await createCheckout(app);
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'GET', url: `/checkout/unknown-${i}` });
    t.equal(res.statusCode, 404);
  }
  control.reset();
  const limited = await app.inject({ method: 'GET', url: '/checkout/unknown-4' });
  t.equal(limited.statusCode, 429);
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  t.match(limited.headers['retry-after'], /^\d+$/);
  t.match(limited.json(), { detail: /^Too many requests for checkouts or paths that do not exist; retry in \d+ s\.$/ });
  t.match(
    limited.headers,
    { 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': limited.headers['retry-after'] },
    'the X-RateLimit-* headers speak of the 404 budget that refused it, not of the read limit it passed',
  );
  t.equal(control.calls.length, 0, 'a limited guess costs nothing upstream');
  const known = await app.inject({ method: 'GET', url: `/checkout/${requestId}`, remoteAddress: '10.0.0.9' });
  t.equal(known.statusCode, 200, 'other clients are unaffected');
  const own = await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  t.equal(own.statusCode, 200, 'and the limited client still reads its own checkout: only guesses are refused');
  t.equal((await app.inject({ method: 'GET', url: '/checkout/unknown-5' })).statusCode, 429, 'while guesses stay refused');
});

t.test('GET /checkout/{requestId}: an IPv6 client spends one 404 budget across its /64', async (t) => {
  const { app } = await setUp(t, { STATUS_NOT_FOUND_LIMIT: '3' });
  // Any host picks addresses freely within its /64 (privacy addresses): one network, one client.
  const guess = (remoteAddress: string, i: number) => app.inject({ method: 'GET', url: `/checkout/unknown-${i}`, remoteAddress });
  for (let i = 0; i < 3; i++) t.equal((await guess(`2001:db8:1:2::${i + 1}`, i)).statusCode, 404);
  t.equal((await guess('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 4)).statusCode, 429, 'a fresh address of the same /64 is refused too');
  t.equal((await guess('2001:db8:1:3::1', 5)).statusCode, 404, 'another /64 is another client');
});

t.test('GET /checkout/{requestId} never 404-limits a client that polls a real checkout', async (t) => {
  const { app } = await setUp(t, { STATUS_NOT_FOUND_LIMIT: '2' });
  const requestId = await createCheckout(app);
  for (let i = 0; i < 10; i++) {
    t.equal((await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).statusCode, 200);
  }
});

t.test('GET /checkout/{requestId} answers 502 and 504 when the status lookup fails', async (t) => {
  const { app, control } = await setUp(t, uncached);
  const requestId = await createCheckout(app);
  control.inject('status', { kind: 'status', status: 500 });
  t.equal((await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).statusCode, 502);
  control.inject('status', { kind: 'garbage' });
  t.equal((await app.inject({ method: 'GET', url: `/checkout/${requestId}` })).statusCode, 502);
  control.inject('status', { kind: 'hang' });
  const timedOut = await app.inject({ method: 'GET', url: `/checkout/${requestId}` });
  t.equal(timedOut.statusCode, 504);
  t.match(timedOut.headers['content-type'], /^application\/problem\+json/);
  t.match(timedOut.json(), { detail: /did not answer the status lookup call in time\. Retry later\.$/ }, 'a read is simply retried');
});
