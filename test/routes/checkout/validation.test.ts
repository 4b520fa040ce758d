import { gzipSync } from 'node:zlib';
import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

const customer = { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' };

const INVALID_BODIES: [string, unknown, string][] = [
  ['a missing amount', { customer }, 'amount'],
  ['a negative amount', validCheckout({ amount: '-1.00' }), 'amount'],
  ['a zero amount', validCheckout({ amount: '0.00' }), 'amount'],
  ['a numeric zero amount', validCheckout({ amount: 0 }), 'amount'],
  ['three decimals', validCheckout({ amount: '12.345' }), 'amount'],
  ['three decimals as a number', validCheckout({ amount: 12.345 }), 'amount'],
  ['an amount above 1,000,000.00', validCheckout({ amount: '1000000.01' }), 'amount'],
  ['an amount in exponent form', validCheckout({ amount: '1e3' }), 'amount'],
  ['an amount with a thousands separator', validCheckout({ amount: '1,000.00' }), 'amount'],
  ['an amount with leading zeros', validCheckout({ amount: '007.00' }), 'amount'],
  ['an amount of the wrong type', validCheckout({ amount: true }), 'amount'],
  ['NaN-like text', validCheckout({ amount: 'NaN' }), 'amount'],
  ['an amount padded with spaces', validCheckout({ amount: ' 25 ' }), 'amount'],
  ['an amount with a trailing line break', validCheckout({ amount: '25.00\n' }), 'amount'],
  ['a missing customer', { amount: '1.00' }, 'customer'],
  ['a blank first name', validCheckout({ customer: { ...customer, firstName: '   ' } }), 'customer.firstName'],
  ['a missing last name', validCheckout({ customer: { firstName: 'Jane', email: 'jane@example.com' } }), 'customer.lastName'],
  ['a 101-character last name', validCheckout({ customer: { ...customer, lastName: 'x'.repeat(101) } }), 'customer.lastName'],
  ['an invalid e-mail', validCheckout({ customer: { ...customer, email: 'jane-at-example' } }), 'customer.email'],
  ['an unknown top-level field', validCheckout({ amout: '1.00' }), 'amout'],
  ['an unknown customer field', validCheckout({ customer: { ...customer, phone: '555' } }), 'customer.phone'],
  ['a referenceId with a slash', validCheckout({ referenceId: 'a/b' }), 'referenceId'],
  ['a 65-character referenceId', validCheckout({ referenceId: 'r'.repeat(65) }), 'referenceId'],
  ['an array body', [validCheckout()], 'body'],
  ['a null body', null, 'body'],
];

t.test('POST /checkout answers 400 problem+json naming the field, and calls nobody upstream', async (t) => {
  const { app, control } = await setUp(t);
  for (const [label, body, path] of INVALID_BODIES) {
    const res = await postCheckout(app, body);
    t.equal(res.statusCode, 400, label);
    t.match(res.headers['content-type'], /^application\/problem\+json/, label);
    const problem = res.json<ProblemBody>();
    t.match(problem, { status: 400, title: 'Invalid request', instance: '/checkout', requestId: res.headers['x-request-id'] }, label);
    t.ok(
      problem.errors?.some((e) => e.path === path && e.message.length > 0),
      `${label}: errors names ${path}`,
    );
  }
  t.equal(control.calls.length, 0, 'no upstream call for any invalid body');
});

t.test('POST /checkout says an amount above the limit is too large, however many digits it has', async (t) => {
  const { app, control } = await setUp(t);
  for (const amount of ['1000000.01', '12345678', 12_345_678, '99999999999.99']) {
    const res = await postCheckout(app, validCheckout({ amount }));
    t.equal(res.statusCode, 400, String(amount));
    t.match(res.json<ProblemBody>().errors, [{ path: 'amount', message: 'must be at most 1000000.00' }], String(amount));
  }
  t.equal(control.calls.length, 0);
});

t.test('POST /checkout lists every invalid field at once', async (t) => {
  const { app } = await setUp(t);
  const res = await postCheckout(app, { amount: 'ten', customer: { firstName: '', lastName: 'Doe', email: 'x' }, extra: 1 });
  const paths = res
    .json<ProblemBody>()
    .errors?.map((e) => e.path)
    .sort();
  t.same(paths, ['amount', 'customer.email', 'customer.firstName', 'extra']);
  // A missing amount is judged after the fields themselves, and still named beside their errors.
  const missing = await postCheckout(app, { customer: 'Jane', extra: 1 });
  t.same(
    missing
      .json<ProblemBody>()
      .errors?.map((e) => e.path)
      .sort(),
    ['amount', 'customer', 'extra'],
  );
  t.match(missing.json<ProblemBody>(), { detail: 'The body has 3 invalid fields: customer, extra, amount.' });
  const array = await postCheckout(app, [validCheckout()]);
  t.same(
    array.json<ProblemBody>().errors?.map((e) => e.path),
    ['body'],
    'a body that is not an object is only that',
  );
});

t.test('POST /checkout answers 400 for malformed or empty JSON', async (t) => {
  const { app, control } = await setUp(t);
  for (const payload of ['{"amount":', '']) {
    const res = await postCheckout(app, payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json<ProblemBody>(), { detail: /JSON/, errors: [{ path: 'body', message: /JSON|empty/ }] }, 'a 400 lists what was wrong');
  }
  t.equal(control.calls.length, 0);
});

t.test('POST /checkout refuses prototype-poisoning members as such, not as invalid JSON', async (t) => {
  const { app, control } = await setUp(t);
  for (const payload of ['{"__proto__":{"admin":true},"amount":"1.00"}', '{"customer":{"constructor":{"prototype":{"x":1}}}}']) {
    const res = await postCheckout(app, payload);
    t.equal(res.statusCode, 400, payload);
    t.match(res.json<ProblemBody>(), {
      detail: /member named __proto__, or a constructor with a prototype member/,
      errors: [{ path: 'body', message: 'holds a __proto__ or constructor.prototype member' }],
    });
  }
  t.equal(control.calls.length, 0);
});

t.test('POST /checkout reads JSON as UTF-8 only: other bytes are a 400, another charset a 415, never a mangled name sent to Flinks', async (t) => {
  const { app, control } = await setUp(t);
  const body = JSON.stringify(validCheckout({ customer: { ...customer, firstName: 'René' } }));
  const latin1 = Buffer.from(body, 'latin1');
  const notUtf8 = await app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': 'application/json' }, payload: latin1 });
  t.equal(notUtf8.statusCode, 400);
  t.match(notUtf8.json<ProblemBody>(), { detail: /not valid UTF-8/, errors: [{ path: 'body', message: 'is not valid UTF-8' }] });
  for (const charset of ['latin1', '"ISO-8859-1"', 'utf-16']) {
    const res = await app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': `application/json; charset=${charset}` }, payload: latin1 });
    t.equal(res.statusCode, 415, charset);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json<ProblemBody>(), { detail: /send JSON as UTF-8/ }, charset);
  }
  t.equal(control.calls.length, 0, 'nothing reached Flinks');
  const utf8 = Buffer.from(body, 'utf8');
  for (const contentType of ['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"']) {
    const res = await app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': contentType }, payload: utf8 });
    t.equal(res.statusCode, 201, contentType);
  }
  const initiate = control.calls.find((call) => call.step === 'initiate');
  t.match(JSON.parse(initiate?.rawBody ?? '{}'), { customerName: 'René Doe' }, 'the name reaches Flinks as written');
});

t.test('POST /checkout answers 415 for a body sent with a Content-Encoding, compressed or not, and nothing reaches Flinks', async (t) => {
  const { app, control } = await setUp(t);
  const body = JSON.stringify(validCheckout());
  for (const [coding, payload] of [
    ['gzip', gzipSync(body)],
    ['gzip', Buffer.from(body)],
    ['br', Buffer.from(body)],
    ['x-custom', Buffer.from(body)],
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': 'application/json', 'content-encoding': coding }, payload });
    t.equal(res.statusCode, 415, coding);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json<ProblemBody>(), {
      type: /unsupported-media-type$/,
      detail: `The body is sent with Content-Encoding: ${coding}; send it uncompressed (no Content-Encoding).`,
    });
  }
  t.equal(control.calls.length, 0, 'nothing reached Flinks');
  const identity = await app.inject({
    method: 'POST',
    url: '/checkout',
    headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    payload: body,
  });
  t.equal(identity.statusCode, 201, 'identity is no coding');
});

t.test('POST /checkout answers 413 for a body over 16 KiB', async (t) => {
  const { app, control } = await setUp(t);
  const res = await postCheckout(app, validCheckout({ referenceId: 'x'.repeat(17 * 1024) }));
  t.equal(res.statusCode, 413);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.json<ProblemBody>(), { status: 413, title: 'Payload too large' });
  t.equal(control.calls.length, 0);
});

t.test('POST /checkout answers 415 for a body that is not JSON', async (t) => {
  const { app, control } = await setUp(t);
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await app.inject({ method: 'POST', url: '/checkout', headers: { 'content-type': contentType }, payload: 'amount=1' });
    t.equal(res.statusCode, 415, contentType);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json<ProblemBody>(), { status: 415, detail: /application\/json/ });
  }
  t.equal(control.calls.length, 0);
});

t.test('GET /checkout/{requestId} answers 400 for a malformed id without calling upstream', async (t) => {
  const { app, control } = await setUp(t);
  for (const id of ['has%20space', 'semi%3Bcolon', 'x'.repeat(101), 'dot.dot']) {
    const res = await app.inject({ method: 'GET', url: `/checkout/${id}` });
    t.equal(res.statusCode, 400, id);
    t.match(res.json<ProblemBody>().errors, [{ path: 'requestId' }]);
  }
  t.equal(control.calls.length, 0);
});
