import type { AddressInfo } from 'node:net';
import { serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify from 'fastify';
import t from 'tap';
import { request } from 'undici';
import { z } from 'zod';
import { createSandboxControl } from '../../sandbox/control.js';
import { sandboxPlugin } from '../../sandbox/sandbox-plugin.js';
import { basic, FORM, sessionBody } from './helpers.js';

/** A parent shaped like the BFF: zod compilers, its own error and 404 handlers, a JSON route. */
async function parentWithSandbox() {
  const control = createSandboxControl();
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((_error, _request, reply) => reply.code(418).send({ parent: 'error' }));
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ parent: 'not found' }));
  app.post('/echo', { schema: { body: z.object({ a: z.number() }) } }, (request) => request.body);
  // Nested one level deeper, as a wrapper plugin (e.g. one hiding routes from OpenAPI) would.
  await app.register(
    async (outer) => {
      await outer.register(sandboxPlugin, { control });
    },
    { prefix: '/sandbox' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, control, base: `http://127.0.0.1:${port}` };
}

async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await request(url, { method: 'POST', headers, body });
  return { status: res.statusCode, type: String(res.headers['content-type']), json: await res.body.json() };
}

void t.test('mounted under /sandbox, the sandbox answers with its own parsers, errors and 404s', async (t) => {
  const { app, base } = await parentWithSandbox();
  t.teardown(() => app.close());
  const url = `${base}/sandbox/api/v1/authorize`;
  const json = await post(url, { authorization: basic(), 'content-type': 'application/json' }, '{}');
  t.equal(json.status, 415, 'JSON on authorize is refused by the sandbox, not the parent');
  t.match(json.type, /^application\/problem\+json/);
  const ok = await post(url, { authorization: basic(), ...FORM }, 'grant_type=client_credentials');
  t.equal(ok.status, 200, 'form parser is the sandbox one');
  const missing = await request(`${base}/sandbox/api/v1/nothing`);
  t.equal(missing.statusCode, 404);
  t.match(await missing.body.json(), { status: 404, title: 'Not Found' });
});

void t.test('the sandbox does not change the parent: JSON parsing, errors and 404s stay the parent ones', async (t) => {
  const { app, base } = await parentWithSandbox();
  t.teardown(() => app.close());
  t.same((await post(`${base}/echo`, { 'content-type': 'application/json' }, '{"a":1}')).json, { a: 1 });
  t.same((await post(`${base}/echo`, { 'content-type': 'application/json' }, '{"a":"x"}')).json, { parent: 'error' });
  const missing = await request(`${base}/elsewhere`);
  t.same(await missing.body.json(), { parent: 'not found' });
});

void t.test('mounted under /sandbox, PaymentLink points at /sandbox/app/ on the called origin and hung calls still end on close', async (t) => {
  const { app, control, base } = await parentWithSandbox();
  t.teardown(() => app.close());
  const api = `${base}/sandbox/api/v1`;
  const authorized = await post(`${api}/authorize`, { authorization: basic(), ...FORM }, 'grant_type=client_credentials');
  const token = (authorized.json as { access_token: string }).access_token;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const initiated = await post(`${api}/sessions/initiate`, headers, JSON.stringify(sessionBody()));
  const { sessionId } = initiated.json as { sessionId: string };
  const created = await post(`${api}/paymentrequests`, headers, JSON.stringify({ sessionId }));
  const { requestId } = created.json as { requestId: string };
  const status = await request(`${api}/paymentrequests/${requestId}`, { headers });
  const { PaymentLink } = (await status.body.json()) as { PaymentLink: string };
  t.equal(PaymentLink, `${base}/sandbox/app/?sessionId=${sessionId}`, 'an absolute link on the origin that was called');

  control.inject('status', { kind: 'hang' });
  const pending = request(`${api}/paymentrequests/${requestId}`, { headers }).catch((error: unknown) => error);
  await control.waitForCall('status', 2);
  await app.close();
  t.type(await pending, Error);
});

void t.test('mounted under /sandbox, a mis-cased path reaches the sandbox route and is recorded as sent', async (t) => {
  const { app, control, base } = await parentWithSandbox();
  t.teardown(() => app.close());
  const res = await post(`${base}/sandbox/Api/V1/AUTHORIZE`, { authorization: basic(), ...FORM }, 'grant_type=client_credentials');
  t.equal(res.status, 200);
  t.match(res.json, { token_type: 'bearer' });
  t.match(control.calls, [{ step: 'authorize', path: '/sandbox/Api/V1/AUTHORIZE', statusCode: 200 }]);
  const unknown = await request(`${base}/sandbox/API/V1/NOTHING`);
  t.equal(unknown.statusCode, 404, 'an unknown path in any casing is still the sandbox 404');
  t.match(await unknown.body.json(), { status: 404, title: 'Not Found' });
  t.same(
    (await post(`${base}/ECHO`, { 'content-type': 'application/json' }, '{"a":1}')).json,
    { parent: 'not found' },
    "the parent's own routes are untouched",
  );
});
