import { createServer, type AddressInfo } from 'node:net';
import { request } from 'undici';
import t from 'tap';
import { validCheckout, startSandbox } from './support/build.js';
import { BFF_LISTENING, runToExit, startProcess } from './support/process.js';

const SERVER = 'src/server.ts';
const quiet = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' };

async function postJson(url: string, body: unknown) {
  const res = await request(`${url}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, unknown> };
}

t.test('with no Flinks settings the server runs on the embedded sandbox and takes a checkout', async (t) => {
  const server = await startProcess(t, SERVER, { ...quiet, NODE_ENV: 'development' }, BFF_LISTENING);
  const created = await postJson(server.url, validCheckout());
  t.equal(created.status, 201);
  const launchUrl = String(created.body.launchUrl);
  t.match(launchUrl, new RegExp(`^${server.url}/sandbox/app/\\?sessionId=[0-9a-f-]{36}$`));

  const status = await request(`${server.url}/checkout/${String(created.body.requestId)}`);
  t.equal(status.statusCode, 200);
  t.match(await status.body.json(), { status: 'Initiated', final: false });

  const app = await request(launchUrl);
  t.equal(app.statusCode, 200, 'the launch URL opens the sandbox app');
  await app.body.dump();
  server.child.kill('SIGTERM');
  t.match(await server.exited, { code: 0 });
});

t.test('pointed by FLINKS_* at a standalone sandbox (npm run sandbox) the server works the same', async (t) => {
  const sandbox = await startProcess(t, 'sandbox/standalone.ts', { SANDBOX_PORT: '0' }, /sandbox listening at (http:\/\/[^"\s]+)/);
  const server = await startProcess(
    t,
    SERVER,
    {
      ...quiet,
      NODE_ENV: 'production',
      FLINKS_BASE_URL: sandbox.url,
      FLINKS_USERNAME: 'sandbox',
      FLINKS_PASSWORD: 'sandbox',
    },
    BFF_LISTENING,
  );
  const created = await postJson(server.url, validCheckout());
  t.equal(created.status, 201);
  t.match(String(created.body.launchUrl), `${sandbox.url}/app/?sessionId=`);
  const ready = await request(`${server.url}/ready`);
  t.equal(ready.statusCode, 200);
  await ready.body.dump();
  t.notMatch(server.output(), /sandbox:sandbox|c2FuZGJveDpzYW5kYm94/, 'credentials never reach the logs');
});

t.test('SIGTERM lets an in-flight checkout finish, then exits 0', async (t) => {
  const sandbox = await startSandbox(t);
  sandbox.control.inject('paymentrequest', { kind: 'delay', ms: 700 });
  const server = await startProcess(
    t,
    SERVER,
    { ...quiet, FLINKS_BASE_URL: sandbox.url, FLINKS_USERNAME: 'sandbox', FLINKS_PASSWORD: 'sandbox' },
    BFF_LISTENING,
  );
  const inFlight = postJson(server.url, validCheckout());
  await sandbox.control.waitForCall('paymentrequest');
  server.child.kill('SIGTERM');
  const created = await inFlight;
  t.equal(created.status, 201, 'the in-flight checkout completes');
  t.match(await server.exited, { code: 0 });
  t.match(server.output(), /shutting down/);
  await t.rejects(request(`${server.url}/health`), 'no longer accepting connections');
});

t.test('a malformed setting stops start-up with one line naming it', async (t) => {
  const result = await runToExit(SERVER, { PORT: 'abc', UPSTREAM_TIMEOUT_MS: '5' });
  t.equal(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  t.equal(lines.length, 1, result.stderr);
  t.match(lines[0], /^Invalid configuration: .*PORT: .*UPSTREAM_TIMEOUT_MS: /);
  t.equal(result.stdout, '');
});

t.test('a port already in use stops start-up with one line naming the address and the setting', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        holder.close(() => {
          resolve();
        });
      }),
  );
  const { port } = holder.address() as AddressInfo;
  const result = await runToExit(SERVER, { ...quiet, PORT: String(port) });
  t.equal(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  t.equal(lines.length, 1, result.stderr);
  t.equal(lines[0], `Cannot listen on 127.0.0.1:${port}: the port is already in use; stop what holds it or set PORT to a free port`);
});

t.test('a HOST that is neither an address nor a name stops start-up with one line', async (t) => {
  const result = await runToExit(SERVER, { ...quiet, HOST: '999.1.1.1' });
  t.equal(result.code, 1);
  t.match(result.stderr.trim(), /^Invalid configuration: HOST: expected an IP address[^\n]*$/);
});

t.test('production without FLINKS_BASE_URL refuses to start', async (t) => {
  const result = await runToExit(SERVER, { NODE_ENV: 'production' });
  t.equal(result.code, 1);
  t.match(result.stderr.trim(), /^Invalid configuration: FLINKS_BASE_URL: required when NODE_ENV=production[^\n]*$/);
});
