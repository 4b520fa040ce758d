import t from 'tap';
import { postCheckout, setUp } from '../../support/build.js';

interface ProblemBody {
  status: number;
  detail: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

const CUSTOMER = '{"firstName":"Jane","lastName":"Doe","email":"jane@example.com"}';
const withAmount = (literal: string) => `{"amount":${literal},"customer":${CUSTOMER}}`;

t.test('POST /checkout judges a JSON-number amount by its literal as written, never rounded', async (t) => {
  const { app, control } = await setUp(t);
  for (const literal of ['999999.999999999999', '12.3400000000000001', '12.340', '1E2', '1e-2', '-0', '0.001']) {
    const res = await postCheckout(app, withAmount(literal));
    t.equal(res.statusCode, 400, literal);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.ok(
      res.json<ProblemBody>().errors?.some((e) => e.path === 'amount'),
      `${literal}: errors names amount`,
    );
  }
  t.equal(control.calls.length, 0, 'nothing reached Flinks');
});

t.test('POST /checkout forwards a JSON-number amount to Flinks as the exact decimal written', async (t) => {
  const { app, control } = await setUp(t);
  const cases: [string, string][] = [
    ['19.99', '19.99'],
    ['25.5', '25.50'],
    ['12.30', '12.30'],
    ['1000000.00', '1000000.00'],
    ['7', '7.00'],
  ];
  for (const [literal, sent] of cases) {
    control.reset();
    const res = await postCheckout(app, withAmount(literal));
    t.equal(res.statusCode, 201, literal);
    t.match(control.calls[1]?.rawBody, `{"amount":${sent},`, `${literal} → ${sent}`);
  }
});

t.test('POST /checkout refuses a body that names a field twice, at any depth', async (t) => {
  const { app, control } = await setUp(t);
  const bodies: [string, string][] = [
    ['{"amount":"1.00","amount":"9999.00","customer":' + CUSTOMER + '}', 'amount'],
    ['{"amount":"1.00","\\u0061mount":"9999.00","customer":' + CUSTOMER + '}', 'amount'],
    ['{"amount":"1.00","customer":{"firstName":"Jane","lastName":"Doe","lastName":"Roe","email":"jane@example.com"}}', 'customer.lastName'],
  ];
  for (const [body, path] of bodies) {
    const res = await postCheckout(app, body);
    t.equal(res.statusCode, 400, body);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json<ProblemBody>(), { status: 400, detail: /more than once/, errors: [{ path, message: 'appears more than once' }] });
  }
  t.equal(control.calls.length, 0, 'nothing reached Flinks');
});

t.test('the JSON rules hold whatever the parameters or casing of the JSON media type', async (t) => {
  const { app } = await setUp(t);
  for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
    const duplicate = await postCheckout(app, '{"amount":"1.00","amount":"2.00","customer":' + CUSTOMER + '}', { 'content-type': type });
    t.equal(duplicate.statusCode, 400, type);
    t.match(duplicate.json<ProblemBody>().detail, /more than once/, type);
    t.equal((await postCheckout(app, withAmount('12.3400000000000001'), { 'content-type': type })).statusCode, 400, type);
  }
});

t.test('POST /checkout takes the same names in different objects, and keys inside strings', async (t) => {
  const { app } = await setUp(t);
  const body = '{"amount":"1.00","referenceId":"a-b","customer":{"firstName":"amount","lastName":"Doe","email":"jane@example.com"}}';
  t.equal((await postCheckout(app, body)).statusCode, 201);
});

t.test('a deeply nested body is read without recursion: a 400, not a crash', async (t) => {
  const { app } = await setUp(t);
  const res = await postCheckout(app, `{"amount":"1.00","customer":${'['.repeat(8000)}${']'.repeat(8000)}}`);
  t.equal(res.statusCode, 400);
  t.match(res.json<ProblemBody>(), { errors: [{ path: 'customer' }] });
});

t.test('a 400 lists at most 20 invalid fields and says how many there were', async (t) => {
  const { app } = await setUp(t);
  const unknown = Object.fromEntries(Array.from({ length: 1700 }, (_, i) => [`k${i}`, 1]));
  const payload = JSON.stringify({ amount: '1.00', customer: JSON.parse(CUSTOMER) as unknown, ...unknown });
  t.ok(payload.length <= 16 * 1024, 'within the body limit');
  const res = await postCheckout(app, payload);
  t.equal(res.statusCode, 400);
  const problem = res.json<ProblemBody>();
  t.equal(problem.errors?.length, 20);
  t.match(problem.detail, /^The body has 1700 invalid fields; the first 20 are listed: k0, k1, /);
  t.ok(res.body.length < 3000, `a short answer (${res.body.length} bytes)`);
});

t.test('a 400 cuts an absurdly long field name', async (t) => {
  const { app } = await setUp(t);
  const res = await postCheckout(app, JSON.stringify({ amount: '1.00', customer: JSON.parse(CUSTOMER) as unknown, ['x'.repeat(10_000)]: 1 }));
  t.equal(res.statusCode, 400);
  t.equal(res.json<ProblemBody>().errors?.[0]?.path, `${'x'.repeat(100)}…`);
  t.ok(res.body.length < 1000);
});
