import t from 'tap';
import { AUTHORIZE_REQUEST_BODY, AUTHORIZE_RESPONSE } from '../fixtures/flinks-pay-v1.js';
import { GUID, mismatches } from './documented.js';
import { basic, bearer, FORM, JSON_TYPE, startSandbox } from './helpers.js';

const PATH = '/api/v1/authorize';
const GRANT = AUTHORIZE_REQUEST_BODY;

void t.test('POST /authorize issues a bearer token for Basic credentials and a form body', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body: GRANT });
  t.equal(res.status, 200);
  t.match(res.contentType, /^application\/json/);
  t.same(Object.keys(res.json as object).sort(), ['access_token', 'expires_in', 'token_type']);
  t.same(mismatches(AUTHORIZE_RESPONSE, res.json), [], 'the documented sample shape');
  const parsed = res.json as typeof AUTHORIZE_RESPONSE;
  t.match(parsed.access_token, GUID);
  t.equal(parsed.token_type, 'bearer');
  t.equal(parsed.expires_in, 299);
});

void t.test('POST /authorize reports the configured token lifetime in expires_in', async (t) => {
  const sandbox = await startSandbox(t, { tokenTtlSeconds: 599 });
  const res = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body: GRANT });
  t.match(res.json, { expires_in: 599 });
});

void t.test('POST /authorize answers 401 problem+json for no auth, a Bearer header or wrong credentials', async (t) => {
  const sandbox = await startSandbox(t);
  const cases: [string, Record<string, string>][] = [
    ['no auth', {}],
    ['bearer', bearer('84002b62-a47e-45a6-97dd-306a8f9721d7')],
    ['wrong password', { authorization: basic('sandbox', 'nope') }],
    ['wrong username', { authorization: basic('someone', 'sandbox') }],
    ['no colon', { authorization: `Basic ${Buffer.from('sandbox').toString('base64')}` }],
    ['not base64', { authorization: 'Basic !!!' }],
  ];
  for (const [name, headers] of cases) {
    const res = await sandbox.call('POST', PATH, { headers: { ...headers, ...FORM }, body: GRANT });
    t.equal(res.status, 401, name);
    t.match(res.contentType, /^application\/problem\+json/, name);
    t.match(res.json, { type: String, title: 'Unauthorized', status: 401, detail: String }, name);
    t.match(res.headers['www-authenticate'], /^Basic /, name);
  }
});

void t.test('POST /authorize accepts configured credentials and refuses the defaults then', async (t) => {
  const sandbox = await startSandbox(t, { credentials: { username: 'merchant', password: 's3:cret' } });
  const headers = { authorization: basic('merchant', 's3:cret'), ...FORM };
  const ok = await sandbox.call('POST', PATH, { headers, body: GRANT });
  t.equal(ok.status, 200);
  const old = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body: GRANT });
  t.equal(old.status, 401);
});

void t.test('POST /authorize requires a form-encoded body: JSON is 415', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.call('POST', PATH, {
    headers: { authorization: basic(), ...JSON_TYPE },
    body: JSON.stringify({ grant_type: 'client_credentials' }),
  });
  t.equal(res.status, 415);
  t.match(res.contentType, /^application\/problem\+json/);
  t.match(res.json, { status: 415, title: 'Unsupported Media Type' });
});

void t.test('POST /authorize requires grant_type=client_credentials (400 otherwise)', async (t) => {
  const sandbox = await startSandbox(t);
  for (const body of ['', 'grant_type=password', 'grant=client_credentials', 'grant_type=CLIENT_CREDENTIALS']) {
    const res = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body });
    t.equal(res.status, 400, JSON.stringify(body));
    t.match(res.contentType, /^application\/problem\+json/);
    t.match(res.json, { status: 400, errors: { grant_type: Array } }, JSON.stringify(body));
  }
});

void t.test('POST /authorize reads form field names in any casing, tolerates Username/Password and refuses other fields', async (t) => {
  const sandbox = await startSandbox(t);
  for (const body of ['GRANT_TYPE=client_credentials', 'Grant_Type=client_credentials&Username=x&password=y']) {
    const res = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body });
    t.equal(res.status, 200, body);
  }
  const extra = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body: `${GRANT}&scope=y` });
  t.equal(extra.status, 400, 'an undocumented field');
  t.same((extra.json as { errors: object }).errors, { scope: ["The form field 'scope' is not a field of this request."] });
  for (const name of ['constructor', '__proto__']) {
    const builtIn = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body: `${GRANT}&${name}=y` });
    t.equal(builtIn.status, 400, `a field named ${name} is refused like any other, not a 500`);
  }
  const missing = await sandbox.call('POST', PATH, { headers: { authorization: basic(), ...FORM }, body: 'Username=sandbox' });
  t.match(missing.json, {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    errors: { grant_type: ['The grant_type field is required.'] },
  });
});

void t.test('the Username/Password form fields of one doc revision do not replace Basic auth (401)', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.call('POST', PATH, { headers: FORM, body: `${GRANT}&Username=sandbox&Password=sandbox` });
  t.equal(res.status, 401);
});

void t.test('POST /authorize checks credentials before the body (401 wins over 415)', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await sandbox.call('POST', PATH, { headers: JSON_TYPE, body: '{}' });
  t.equal(res.status, 401);
});
