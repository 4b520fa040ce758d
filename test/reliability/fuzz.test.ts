import fc from 'fast-check';
import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../support/build.js';

const relaxedLimits = { RATE_LIMIT_MAX: '100000', STATUS_NOT_FOUND_LIMIT: '100000', STATUS_RATE_LIMIT_MAX: '100000' };

/** Bodies near the valid shape, so the fuzzer explores each field's rules, not just garbage. */
const nearlyValidBody = fc.record(
  {
    amount: fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constantFrom('0.1', '1e2', '-0', '12.345', '1000000.01', ' 5 ')),
    customer: fc.oneof(
      fc.record(
        {
          firstName: fc.oneof(fc.string(), fc.constant(' ')),
          lastName: fc.string(),
          middleName: fc.oneof(fc.string(), fc.integer()),
          email: fc.oneof(fc.emailAddress(), fc.string()),
          extra: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    referenceId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    intent: fc.string(),
    [`unexpected`]: fc.anything(),
  },
  { requiredKeys: [] },
);

const anyBody = fc.oneof(nearlyValidBody, fc.anything(), fc.jsonValue());
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 300 });

t.test('POST /checkout never answers 5xx to any body, calls nobody for invalid input, and errors are problem+json', async (t) => {
  const { app, control } = await setUp(t, relaxedLimits);
  await fc.assert(
    fc.asyncProperty(anyBody, fc.option(headerText, { nil: undefined }), async (body, idempotencyKey) => {
      control.reset();
      const headers: Record<string, string> = idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey };
      // JSON.stringify(undefined) is undefined at run time, whatever its type says: send "null" then.
      const res = await postCheckout(app, body === undefined ? 'null' : JSON.stringify(body), headers);
      if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${JSON.stringify(body)}: ${res.body}`);
      if (res.statusCode >= 400) {
        if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) throw new Error(`not problem+json: ${res.body}`);
        if (res.statusCode === 400 && control.calls.length > 0) throw new Error(`invalid input reached Flinks: ${JSON.stringify(body)}`);
      } else if (res.statusCode !== 201) {
        throw new Error(`unexpected ${res.statusCode}`);
      }
    }),
    { numRuns: 400 },
  );
  t.pass('400 random bodies');
});

t.test('POST /checkout with random content types and raw payloads never answers 5xx', async (t) => {
  const { app, control } = await setUp(t, relaxedLimits);
  const contentType = fc.oneof(
    fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml', 'multipart/form-data', ''),
    headerText,
  );
  await fc.assert(
    fc.asyncProperty(contentType, fc.string({ maxLength: 400 }), async (type, payload) => {
      control.reset();
      const res = await app.inject({ method: 'POST', url: '/checkout', headers: type ? { 'content-type': type } : {}, payload });
      if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${type}: ${payload}`);
      if (res.statusCode !== 201 && !/^application\/problem\+json/.test(String(res.headers['content-type']))) {
        throw new Error(`not problem+json (${res.statusCode}): ${res.body}`);
      }
      if (res.statusCode !== 201 && control.calls.length > 0) throw new Error('a rejected request reached Flinks');
    }),
    { numRuns: 300 },
  );
  t.pass('300 random payloads');
});

t.test('GET /checkout/{id} never answers 5xx to any id and calls nobody for a malformed one', async (t) => {
  const { app, control } = await setUp(t, relaxedLimits);
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.uuid()), async (id) => {
      control.reset();
      const res = await app.inject({ method: 'GET', url: `/checkout/${encodeURIComponent(id)}` });
      if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${JSON.stringify(id)}`);
      if (res.statusCode === 400 && control.calls.length > 0) throw new Error('a malformed id reached Flinks');
      if (!/^application\/(problem\+)?json/.test(String(res.headers['content-type']))) throw new Error(`bad content type for ${id}`);
    }),
    { numRuns: 300 },
  );
  t.pass('300 random ids');
});

t.test('a valid body still succeeds after the fuzzing (the app is not left broken)', async (t) => {
  const { app } = await setUp(t);
  t.equal((await postCheckout(app, validCheckout())).statusCode, 201);
});
