import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

t.test('POST /checkout calls authorize, initiate and paymentrequests once each, in order', async (t) => {
  const { app, control } = await setUp(t);
  const res = await postCheckout(app, validCheckout({ referenceId: 'order-42' }));

  t.equal(res.statusCode, 201);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = res.json<{ requestId: string; launchUrl: string }>();
  t.same(Object.keys(body).sort(), ['launchUrl', 'requestId']);
  t.equal(res.headers.location, `/checkout/${body.requestId}`);
  t.match(body.launchUrl, /^https:\/\/pay\.example\.test\/app\/\?sessionId=[0-9a-f-]{36}$/);

  t.same(
    control.calls.map((c) => c.step),
    ['authorize', 'initiate', 'paymentrequest'],
  );
  const [authorize, initiate, payment] = control.calls;
  t.match(authorize?.headers.authorization, /^Basic /);
  t.equal(authorize?.headers['content-type'], 'application/x-www-form-urlencoded');
  t.equal(authorize?.rawBody, 'grant_type=client_credentials');
  const token = initiate?.headers.authorization;
  t.match(token, /^Bearer .+/);
  t.equal(payment?.headers.authorization, token, 'the payment request uses the checkout token');
  t.same(JSON.parse(initiate?.rawBody ?? '{}'), {
    amount: 12.34,
    customerName: 'Jane Doe',
    customerEmail: 'jane@example.com',
    referenceId: 'order-42',
  });
  const sessionId = body.launchUrl.split('sessionId=')[1];
  t.match(sessionId, GUID);
  t.same(JSON.parse(payment?.rawBody ?? '{}'), { sessionId });
  t.equal(initiate?.headers['x-request-id'], res.headers['x-request-id'], 'the request id travels upstream');
});

t.test('POST /checkout forwards the amount as the exact decimal it was given', async (t) => {
  const { app, control } = await setUp(t);
  const cases: [unknown, string][] = [
    ['19.99', '19.99'],
    [19.99, '19.99'],
    ['25.5', '25.50'],
    [25.5, '25.50'],
    ['0.3', '0.30'],
    [0.1, '0.10'],
    ['1000000', '1000000.00'],
    ['7', '7.00'],
  ];
  for (const [amount, literal] of cases) {
    control.reset();
    const res = await postCheckout(app, validCheckout({ amount }));
    t.equal(res.statusCode, 201, `amount ${JSON.stringify(amount)}`);
    t.match(control.calls[1]?.rawBody, new RegExp(`^\\{"amount":${literal.replace('.', '\\.')},`), `${JSON.stringify(amount)} → ${literal}`);
  }
});

t.test('POST /checkout generates a referenceId when none is given and trims names into one v1 customerName', async (t) => {
  const { app, control } = await setUp(t);
  const res = await postCheckout(app, validCheckout({ customer: { firstName: '  Jane ', middleName: 'Q', lastName: ' Doe', email: 'jane@example.com' } }));
  t.equal(res.statusCode, 201);
  const sent = JSON.parse(control.calls[1]?.rawBody ?? '{}') as Record<string, string>;
  t.match(sent.referenceId, /^[0-9a-f-]{36}$/);
  t.equal(sent.customerName, 'Jane Q Doe', 'first middle last, single spaces');
  t.notOk('firstName' in sent || 'lastName' in sent || 'middleName' in sent, 'no field Flinks v1 does not document');
});

t.test('POST /checkout sends the BaseURI header on every call when FLINKS_INSTANCE is set', async (t) => {
  const { app, control } = await setUp(t, { FLINKS_INSTANCE: 'flinkspay-sandbox' });
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
  t.equal(control.calls.length, 3);
  for (const call of control.calls) t.equal(call.headers.baseuri, 'flinkspay-sandbox', call.step);
});

t.test('POST /checkout never returns credentials, tokens or upstream bodies', async (t) => {
  const { app, control } = await setUp(t);
  const res = await postCheckout(app, validCheckout());
  const token = (control.calls[1]?.headers.authorization ?? '').replace('Bearer ', '');
  t.ok(token.length > 0);
  t.notMatch(res.body, token);
  t.notMatch(res.body, /sandbox:sandbox|c2FuZGJveDpzYW5kYm94/);
  t.notMatch(JSON.stringify(res.headers), token);
});
