import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { startSandbox } from '../support/sandbox.js';
import { basic, bearer, FORM } from './helpers.js';

/** A sandbox the test closes itself (closing twice is harmless: teardown closes it again). */
async function listening(t: Test) {
  const { app, control, url } = await startSandbox(t);
  return { app, control, base: url };
}

void t.test('a hung request does not block close()', async (t) => {
  const { app, control, base } = await listening(t);
  control.inject('status', { kind: 'hang' });
  const pending = request(`${base}/api/v1/paymentrequests/abc`, { headers: bearer('x') }).then(
    async (res) => {
      await res.body.dump();
      return res.statusCode;
    },
    (error: unknown) => error,
  );
  await control.waitForCall('status');
  const started = performance.now();
  await app.close();
  t.ok(performance.now() - started < 1000, 'closed promptly');
  t.type(await pending, Error, 'the hung client sees its connection end');
});

void t.test('a hang fault reached after close() began answers 503 instead of hanging', async (t) => {
  const { app, control, base } = await listening(t);
  control.inject('authorize', { kind: 'hang' });
  // Fastify calls server.close() right after the preClose hooks, so once it is called the
  // sandbox already knows it is closing.
  const serverClosing = new Promise<void>((resolve) => {
    const original = app.server.close.bind(app.server);
    app.server.close = (callback?: (error?: Error) => void) => {
      resolve();
      return original(callback);
    };
  });
  // The body is held back so the call reaches the fault only after closing has begun.
  const body = new PassThrough();
  const headers = { authorization: basic(), ...FORM };
  const pending = request(`${base}/api/v1/authorize`, { method: 'POST', headers, body });
  body.write('grant_type=');
  await once(app.server, 'request');
  const closed = app.close();
  await serverClosing;
  body.end('client_credentials');
  const res = await pending;
  t.equal(res.statusCode, 503);
  t.match(await res.body.json(), { status: 503, detail: /closing/ });
  await closed;
  t.equal(control.calls[0]?.statusCode, 503);
});

void t.test('a delayed request (delay fault or slow trigger) is answered 503 at once when close() begins', async (t) => {
  const { app, control, base } = await listening(t);
  control.inject('authorize', { kind: 'delay', ms: 60_000 });
  const pending = request(`${base}/api/v1/authorize`, {
    method: 'POST',
    headers: { authorization: basic(), ...FORM },
    body: 'grant_type=client_credentials',
  });
  await control.waitForCall('authorize');
  const started = performance.now();
  await app.close();
  t.ok(performance.now() - started < 1000, 'closed promptly');
  const res = await pending;
  t.equal(res.statusCode, 503);
  t.match(await res.body.json(), { detail: /closing/ });
});

void t.test('many delayed requests at once are normal: no listener-leak warning, and close() answers them all', async (t) => {
  const { app, control, base } = await listening(t);
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const count = 20;
  control.inject('authorize', { kind: 'delay', ms: 60_000 }, count);
  const pending = Array.from({ length: count }, () =>
    request(`${base}/api/v1/authorize`, { method: 'POST', headers: { authorization: basic(), ...FORM }, body: 'grant_type=client_credentials' }),
  );
  await control.waitForCall('authorize', count);
  await app.close();
  const statuses = await Promise.all(
    pending.map(async (call) => {
      const res = await call;
      await res.body.dump();
      return res.statusCode;
    }),
  );
  t.same(new Set(statuses), new Set([503]));
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  t.same(warnings, []);
});
