import t from 'tap';
import { INITIATE_RESPONSE } from '../fixtures/flinks-pay-v1.js';
import { GUID, mismatches } from './documented.js';
import { basic, bearer, JSON_TYPE, sessionBody, startSandbox, type Harness } from './helpers.js';

const PATH = '/api/v1/sessions/initiate';

/** POST a raw body to initiate with a fresh token. */
async function initiateRaw(sandbox: Harness, body: string) {
  const token = await sandbox.authorize();
  return sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body });
}

void t.test('POST /sessions/initiate creates a session and echoes referenceId', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.initiate(await sandbox.authorize(), { referenceId: 'order-42' });
  t.equal(res.status, 200);
  t.match(res.contentType, /^application\/json/);
  t.same(mismatches(INITIATE_RESPONSE, res.json), [], 'the documented sample shape');
  t.match(res.json, { sessionId: GUID, referenceId: 'order-42' });
});

void t.test('POST /sessions/initiate requires a bearer token (none, Basic or unknown → 401)', async (t) => {
  const sandbox = await startSandbox(t);
  const body = JSON.stringify(sessionBody());
  const cases: [string, Record<string, string>][] = [
    ['none', {}],
    ['basic', { authorization: basic() }],
    ['unknown token', bearer('84002b62-a47e-45a6-97dd-306a8f9721d7')],
  ];
  for (const [name, headers] of cases) {
    const res = await sandbox.call('POST', PATH, { headers: { ...headers, ...JSON_TYPE }, body });
    t.equal(res.status, 401, name);
    t.match(res.contentType, /^application\/problem\+json/, name);
    t.match(res.headers['www-authenticate'], /^Bearer /, name);
  }
});

void t.test('a token initiates exactly one session: the second initiate is 401', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  t.equal((await sandbox.initiate(token)).status, 200);
  const again = await sandbox.initiate(token, { referenceId: 'order-2' });
  t.equal(again.status, 401);
  t.match(again.json, { status: 401, detail: /already initiated/ });
});

void t.test('a rejected initiate body does not use up the token', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  t.equal((await sandbox.initiate(token, { customerName: '' })).status, 400);
  t.equal((await sandbox.initiate(token)).status, 200);
});

void t.test('a token expires after expires_in seconds (401 from then on)', async (t) => {
  const sandbox = await startSandbox(t);
  const fresh = await sandbox.authorize();
  const stale = await sandbox.authorize();
  sandbox.clock.now += 298_999;
  t.equal((await sandbox.initiate(fresh)).status, 200, 'still valid just before expiry');
  sandbox.clock.now += 1;
  const res = await sandbox.initiate(stale);
  t.equal(res.status, 401, 'expired at exactly expires_in');
  t.match(res.json, { detail: /unknown or expired/ });
});

void t.test('amount must be a JSON number, not a string (400)', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.initiate(await sandbox.authorize(), { amount: '250.00' });
  t.equal(res.status, 400);
  t.match(res.contentType, /^application\/problem\+json/);
  t.match(res.json, { status: 400, errors: { amount: Array } });
});

void t.test('amount may have at most two decimals and no exponent (400)', async (t) => {
  const sandbox = await startSandbox(t);
  const send = async (literal: string): Promise<number> => {
    const token = await sandbox.authorize();
    const body = JSON.stringify(sessionBody({ amount: 0 })).replace('"amount":0', `"amount":${literal}`);
    return (await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body })).status;
  };
  t.equal(await send('12.345'), 400, '12.345');
  t.equal(await send('1e2'), 400, '1e2');
  t.equal(await send('0.10e1'), 400, '0.10e1');
  t.equal(await send('-5'), 400, 'negative');
  t.equal(await send('0'), 400, 'zero');
  t.equal(await send('12.3'), 200, '12.3');
  t.equal(await send('250.00'), 200, '250.00');
});

void t.test('a duplicated or escaped amount key is judged by the value JSON.parse keeps', async (t) => {
  const sandbox = await startSandbox(t);
  const rest = JSON.stringify(sessionBody()).replace(/^\{"amount":[^,]+,/, '');
  const send = async (prefix: string): Promise<number> => {
    const token = await sandbox.authorize();
    const body = `{${prefix},${rest}`;
    return (await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body })).status;
  };
  t.equal(await send('"amount":1.00,"\\u0061mount":1.234'), 400);
  t.equal(await send('"amount":1.234, "amount" : 1.23'), 200);
});

void t.test('the exact amount literal is recorded in rawBody', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const body = JSON.stringify(sessionBody({ amount: 0 })).replace('"amount":0', '"amount":250.00');
  t.equal((await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body })).status, 200);
  const [call] = sandbox.control.calls.filter((c) => c.step === 'initiate');
  t.equal(call?.rawBody, body);
  t.match(call?.rawBody, /"amount":250\.00,/);
});

void t.test('names, e-mail and referenceId are required and bounded (400)', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const cases: Record<string, [Record<string, unknown>, string, RegExp]> = {
    'no customerName': [{ customerName: undefined }, 'customerName', /^The customerName field is required\.$/],
    'null customerName': [{ customerName: null }, 'customerName', /is required/],
    'empty customerName': [{ customerName: '' }, 'customerName', /is required/],
    'blank customerName': [{ customerName: '   ' }, 'customerName', /is required/],
    'long customerName': [{ customerName: 'x'.repeat(303) }, 'customerName', /maximum length of 302/],
    'customerName not a string': [{ customerName: ['Ada', 'Lovelace'] }, 'customerName', /JSON string/],
    'bad e-mail': [{ customerEmail: 'not-an-email' }, 'customerEmail', /not a valid e-mail address/],
    'long e-mail': [{ customerEmail: `${'x'.repeat(89)}@example.com` }, 'customerEmail', /maximum length of 100/],
    'long referenceId': [{ referenceId: 'r'.repeat(101) }, 'referenceId', /maximum length of 100/],
    'no e-mail': [{ customerEmail: undefined }, 'customerEmail', /is required/],
    'no referenceId': [{ referenceId: undefined }, 'referenceId', /is required/],
    'no amount': [{ amount: undefined }, 'amount', /is required/],
  };
  for (const [name, [overrides, field, message]] of Object.entries(cases)) {
    const res = await sandbox.initiate(token, overrides);
    t.equal(res.status, 400, name);
    t.match(res.json, { status: 400, errors: { [field]: [message] } }, name);
    t.same(Object.keys((res.json as { errors: object }).errors), [field], `${name}: only ${field} is named`);
  }
  const limits = { customerName: 'f'.repeat(302), customerEmail: `${'x'.repeat(88)}@example.com`, referenceId: 'r'.repeat(100) };
  t.equal((await sandbox.initiate(token, limits)).status, 200, 'at the limits');
});

void t.test('one 400 ValidationProblemDetails names every missing or invalid field', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await initiateRaw(sandbox, '{"amount":12.345,"customerEmail":"nope"}');
  t.equal(res.status, 400);
  t.match(res.contentType, /^application\/problem\+json/);
  t.match(res.json, {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
  });
  const { errors } = res.json as { errors: Record<string, string[]> };
  t.same(Object.keys(errors).sort(), ['amount', 'customerEmail', 'customerName', 'referenceId']);
  for (const body of ['[]', '"x"', 'null', '12']) {
    const notObject = await initiateRaw(sandbox, body);
    t.equal(notObject.status, 400, body);
    t.match(notObject.json, { errors: { $: ['The request body must be a JSON object.'] } }, body);
  }
});

void t.test('an undocumented field is refused (400 naming it): v2 firstName/lastName, or extras beside customerName', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const v2Style = await sandbox.initiate(token, { customerName: undefined, firstName: 'Ada', lastName: 'Lovelace' });
  t.equal(v2Style.status, 400);
  t.same((v2Style.json as { errors: object }).errors, {
    customerName: ['The customerName field is required.'],
    firstName: ["The JSON property 'firstName' is not a field of this request."],
    lastName: ["The JSON property 'lastName' is not a field of this request."],
  });
  const extra = await sandbox.initiate(token, { firstName: 'Ada', payor: { email: 'x' }, note: 1 });
  t.equal(extra.status, 400, 'with customerName, an extra field is still refused');
  t.same(Object.keys((extra.json as { errors: object }).errors).sort(), ['firstName', 'note', 'payor']);
  const misspelt = await sandbox.initiate(token, { referenceId: undefined, reference_id: 'order-1' });
  t.same(Object.keys((misspelt.json as { errors: object }).errors).sort(), ['referenceId', 'reference_id'], 'a misspelt name is not the field');
  t.equal((await sandbox.initiate(token, {})).status, 200, 'the token was not used up by the refusals');
});

void t.test('an undocumented field named like a JavaScript built-in (constructor, __proto__, toString) is a 400 naming it, never a 500', async (t) => {
  const sandbox = await startSandbox(t);
  const body = JSON.stringify(sessionBody());
  for (const name of ['constructor', '__proto__', 'toString']) {
    const res = await initiateRaw(sandbox, body.replace(/}$/, `,"${name}":1}`));
    t.equal(res.status, 400, name);
    t.equal(
      JSON.stringify((res.json as { errors: object }).errors),
      JSON.stringify({ [name]: [`The JSON property '${name}' is not a field of this request.`] }),
      name,
    );
  }
});

void t.test('property names match in any casing, the last occurrence winning', async (t) => {
  const sandbox = await startSandbox(t);
  const cased = await initiateRaw(sandbox, '{"AMOUNT":12.34,"CustomerName":"Ada Lovelace","customeremail":"ada@example.com","REFERENCEID":"order-9"}');
  t.equal(cased.status, 200);
  t.match(cased.json, { referenceId: 'order-9' });
  const mixed = '{"Amount":12.345,"customerName":"A B","customerEmail":"a@b.c","referenceId":"r"}';
  t.equal((await initiateRaw(sandbox, mixed)).status, 400, 'the two-decimal rule reads the literal under any casing');
  const duplicated = await initiateRaw(
    sandbox,
    '{"amount":1.234,"customerName":"A B","customerEmail":"a@b.c","referenceId":"first","Amount":1.23,"ReferenceId":"last"}',
  );
  t.equal(duplicated.status, 200);
  t.match(duplicated.json, { referenceId: 'last' });
});

void t.test('the client URIs are optional and may be any object, under either documented name', async (t) => {
  const sandbox = await startSandbox(t);
  const uris = { success: 'https://shop.example.com/ok', nested: { deep: [1, { amount: 99.999 }] } };
  t.equal((await sandbox.initiate(await sandbox.authorize(), { clientURIs: uris })).status, 200, 'clientURIs');
  t.equal((await sandbox.initiate(await sandbox.authorize(), { clientUrls: uris })).status, 200, 'clientUrls');
  t.equal((await sandbox.initiate(await sandbox.authorize(), { ClientUris: null })).status, 200, 'null');
  const bad = await sandbox.initiate(await sandbox.authorize(), { clientURIs: 'https://shop.example.com' });
  t.equal(bad.status, 400);
  t.match(bad.json, { errors: { clientURIs: Array } });
});

void t.test('POST /sessions/initiate matches its path in any casing', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const res = await sandbox.call('POST', '/API/V1/Sessions/Initiate', {
    headers: { ...bearer(token), ...JSON_TYPE },
    body: JSON.stringify(sessionBody()),
  });
  t.equal(res.status, 200);
  t.match(res.json, { sessionId: GUID });
});

void t.test('initiate requires a JSON body: form is 415, broken JSON is 400', async (t) => {
  const sandbox = await startSandbox(t);
  const token = await sandbox.authorize();
  const form = await sandbox.call('POST', PATH, {
    headers: { ...bearer(token), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'amount=1.00',
  });
  t.equal(form.status, 415);
  const broken = await sandbox.call('POST', PATH, { headers: { ...bearer(token), ...JSON_TYPE }, body: '{"amount":' });
  t.equal(broken.status, 400);
  t.match(broken.json, { detail: /not valid JSON/, errors: { $: Array } });
});
